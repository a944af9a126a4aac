#!/usr/bin/env bash
# Regenerates conformance/vectors/thrift/libthrift-* with Apache Thrift's own library (see
# WriteThriftVectors). Run from the repository root after `mvn -B -q install -DskipTests`.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl conformance dependency:build-classpath -Dmdep.outputFile=/tmp/protean-conformance.cp -Dmdep.includeScope=test
mvn -B -q -pl conformance test-compile
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "conformance/target/test-classes:conformance/target/classes:$(cat /tmp/protean-conformance.cp)" \
  io.protean.conformance.WriteThriftVectors conformance/vectors/thrift
ls -R conformance/vectors/thrift
