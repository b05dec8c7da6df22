module github.com/noise2norm/noise2norm

go 1.26.0

require (
	github.com/cogentcore/webgpu v0.23.0
	golang.org/x/image v0.48.0
	golang.org/x/sys v0.50.0
)
