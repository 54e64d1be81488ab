module dagger/ci

go 1.22
