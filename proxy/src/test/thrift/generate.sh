#!/bin/sh
# Regenerates the Java sources of echo.thrift (committed, so the Maven build needs no Thrift
# compiler). Needs Debian's thrift-compiler (0.17): apt-get install -y thrift-compiler.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../java"
rm -rf "$out/io/protean/proxy/codec/thrift/gen"
thrift --gen java:generated_annotations=suppress -out "$out" "$here/echo.thrift"
