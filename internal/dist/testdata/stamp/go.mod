module stamp

go 1.26
