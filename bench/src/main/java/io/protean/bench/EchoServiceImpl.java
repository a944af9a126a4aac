package io.protean.bench;

/** Returns the argument unchanged: the provider does as little work as a real call can. */
public final class EchoServiceImpl implements EchoService {
  @Override
  public String echo(String payload) {
    return payload;
  }
}
