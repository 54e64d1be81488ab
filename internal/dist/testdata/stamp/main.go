// Command stamp prints its version as monopipe does: the release build's
// -X main.version stamps it.
package main

import "fmt"

var version = ""

func main() { fmt.Println("monopipe " + version) }
