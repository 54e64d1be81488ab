module github.com/monopipe/monopipe/components/pgcount

go 1.26

require github.com/lib/pq v1.12.3
