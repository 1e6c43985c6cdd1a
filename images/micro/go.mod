module showrunner/micro

go 1.19
