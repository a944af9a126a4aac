#!/bin/sh
# Regenerates the Java, Python and Go sources of echo.thrift (committed, so the build needs no
# Thrift compiler). Needs Debian's thrift-compiler (0.17): apt-get install -y thrift-compiler.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../java"
rm -rf "$out/io/protean/proxy/codec/thrift/gen"
thrift --gen java:generated_annotations=suppress -out "$out" "$here/echo.thrift"
rm -rf "$here/python/echo" "$here/go/echo"
thrift --gen py -out "$here/python" "$here/echo.thrift"
thrift --gen go:package_prefix=protean/thriftpeer/ -out "$here/go" "$here/echo.thrift"
rm -rf "$here/python/echo/Echo-remote" "$here/go/echo/echo-remote"
