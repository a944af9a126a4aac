package io.protean.proxy.config.yaml;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A YAML node that knows its path in the document, so every error names the field
 * ({@code clusters[1].endpoints[0].address: ...}). Objects are checked for unknown fields.
 */
public final class Node {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");

  private final String path;
  private final JsonNode json;

  Node(String path, JsonNode json) {
    this.path = path;
    this.json = json == null ? MissingNode.getInstance() : json;
  }

  String path() {
    return path;
  }

  JsonNode json() {
    return json;
  }

  boolean isMissing() {
    return json.isMissingNode() || json.isNull();
  }

  ConfigException error(String problem) {
    return new ConfigException(path.isEmpty() ? "(root)" : path, problem);
  }

  /** Fails on any field not in {@code allowed}; the message lists the allowed ones. */
  Node allowOnly(String... allowed) {
    if (isMissing()) {
      return this;
    }
    if (!json.isObject()) {
      throw error("expected a mapping, found " + describe(json));
    }
    Set<String> known = new LinkedHashSet<>(Arrays.asList(allowed));
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw field(name).error("unknown field (expected one of " + String.join(", ", known) + ")");
      }
    }
    return this;
  }

  Node field(String name) {
    return new Node(path.isEmpty() ? name : path + "." + name, json.get(name));
  }

  Node required(String name) {
    Node f = field(name);
    if (f.isMissing()) {
      throw f.error("required field is missing");
    }
    return f;
  }

  List<Node> list() {
    if (isMissing()) {
      return List.of();
    }
    if (!json.isArray()) {
      throw error("expected a list, found " + describe(json));
    }
    List<Node> items = new ArrayList<>(json.size());
    for (int i = 0; i < json.size(); i++) {
      items.add(new Node(path + "[" + i + "]", json.get(i)));
    }
    return items;
  }

  String text() {
    if (!json.isTextual() && !json.isNumber() && !json.isBoolean()) {
      throw error("expected a string, found " + describe(json));
    }
    return json.asText();
  }

  String text(String fallback) {
    return isMissing() ? fallback : text();
  }

  int integer(int fallback, int min, int max) {
    if (isMissing()) {
      return fallback;
    }
    if (!json.isIntegralNumber() || !json.canConvertToInt()) {
      throw error("expected an integer, found " + describe(json));
    }
    int v = json.intValue();
    if (v < min || v > max) {
      throw error("must be between " + min + " and " + max + ", found " + v);
    }
    return v;
  }

  boolean bool(boolean fallback) {
    if (isMissing()) {
      return fallback;
    }
    if (!json.isBoolean()) {
      throw error("expected true or false, found " + describe(json));
    }
    return json.booleanValue();
  }

  /** A duration written {@code 250ms}, {@code 3s}, {@code 1m} or {@code 1h}. */
  Duration duration(Duration fallback) {
    if (isMissing()) {
      return fallback;
    }
    Duration d = parseDuration(text());
    if (d == null) {
      throw error("expected a duration like 250ms, 3s, 1m, found '" + json.asText() + "'");
    }
    if (d.isZero()) {
      throw error("must be greater than zero");
    }
    return d;
  }

  /** {@code 250ms}, {@code 3s}, {@code 1m} or {@code 1h} (the config's one duration syntax), else null. */
  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** A byte size written {@code 1024}, {@code 64KiB}, {@code 8MiB} or {@code 1GiB}. */
  long size(long fallback, long max) {
    if (isMissing()) {
      return fallback;
    }
    Matcher m = SIZE.matcher(text().trim());
    if (!m.matches()) {
      throw error("expected a size like 65536, 64KiB or 8MiB, found '" + json.asText() + "'");
    }
    long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
      case "KiB" -> 1L << 10;
      case "MiB" -> 1L << 20;
      case "GiB" -> 1L << 30;
      default -> 1;
    };
    long v = Long.parseLong(m.group(1)) * unit;
    if (v <= 0 || v > max) {
      throw error("must be between 1 and " + max + " bytes, found " + v);
    }
    return v;
  }

  /** One of the {@code choices} (case-insensitive), mapped to its value. */
  <T> T choice(String fallback, Function<String, T> parse, String... choices) {
    String v = text(fallback).toLowerCase(Locale.ROOT);
    for (String c : choices) {
      if (c.equals(v)) {
        return parse.apply(c);
      }
    }
    throw error("expected one of " + String.join(", ", choices) + ", found '" + json.asText() + "'");
  }

  /** {@code host:port} ({@code [::1]:20880} for IPv6). */
  HostPort hostPort() {
    String text = text().trim();
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw error("expected host:port, found '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw error("port must be a number, found '" + text.substring(colon + 1) + "'");
    }
    if (port < 0 || port > 65535) {
      throw error("port must be between 0 and 65535, found " + port);
    }
    return new HostPort(host, port);
  }

  private static String describe(JsonNode n) {
    if (n.isObject()) {
      return "a mapping";
    }
    if (n.isArray()) {
      return "a list";
    }
    return "'" + n.asText() + "'";
  }
}
