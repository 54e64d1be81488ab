module github.com/monopipe/monopipe/components/hello-api

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/monopipe/monopipe/components/greet v0.0.0
)

replace github.com/monopipe/monopipe/components/greet => ../greet
