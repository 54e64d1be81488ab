module github.com/monopipe/monopipe/components/greet

go 1.26
