module dagger/mod

go 1.22
