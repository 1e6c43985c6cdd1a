module statuspage

go 1.19
