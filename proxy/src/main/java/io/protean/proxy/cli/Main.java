package io.protean.proxy.cli;

/** Placeholder, replaced by the CLI. */
public final class Main {
  public static void main(String[] args) {}
}
