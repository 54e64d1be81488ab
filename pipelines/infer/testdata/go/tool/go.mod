module "example.com/tool" // quoted

go 1.26
