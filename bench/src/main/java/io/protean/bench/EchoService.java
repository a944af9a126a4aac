package io.protean.bench;

/** The service the benchmark calls: a Dubbo interface whose {@code echo} returns its argument. */
public interface EchoService {
  String echo(String payload);
}
