#!/usr/bin/env bash
# Regenerates conformance/vectors/dubbo/captured-* from real Apache Dubbo traffic (see
# CaptureDubboVectors). Run from the repository root after `mvn -B -q install -DskipTests`.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl conformance dependency:build-classpath -Dmdep.outputFile=/tmp/protean-conformance.cp -Dmdep.includeScope=test
mvn -B -q -pl conformance test-compile
java -Ddubbo.application.qos-enable=false -Ddubbo.service.shutdown.wait=0 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "conformance/target/test-classes:conformance/target/classes:$(cat /tmp/protean-conformance.cp)" \
  io.protean.conformance.CaptureDubboVectors conformance/vectors/dubbo
ls conformance/vectors/dubbo
