module dagger/banner

go 1.26
