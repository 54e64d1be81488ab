package web

import (
	"testing"

	"example.com/greet/sub"
)

func TestWeb(t *testing.T) { _ = sub.X }
