package main

import (
	_ "example.com/greet"
	_ "example.com/web"
)

func main() {}
