module example.com/api

go 1.22

require example.com/lib/v2 v2.0.0
