package main

import "example.com/lib/v2"

func main() { lib.Hello() }
