package lib

func Hello() {}
