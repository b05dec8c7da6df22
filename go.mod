module github.com/noise2norm/noise2norm

go 1.26
