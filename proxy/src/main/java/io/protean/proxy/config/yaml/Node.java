package io.protean.proxy.config.yaml;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  private static final Duration MAX_DURATION = Duration.ofDays(365);
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");

  private static final ObjectMapper YAML_DATA = new ObjectMapper();

  private final String path;
  private final JsonNode json;

  /**
   * A node over plain YAML data (maps, lists, strings, numbers, booleans: a filter's or codec's
   * config as its provider receives it), at {@code path} ("" for the config's root).
   */
  public static Node of(String path, Object yaml) {
    return new Node(path, YAML_DATA.valueToTree(yaml));
  }

  Node(String path, JsonNode json) {
    this.path = path;
    this.json = json == null ? MissingNode.getInstance() : json;
  }

  public String path() {
    return path;
  }

  public JsonNode json() {
    return json;
  }

  public boolean isMissing() {
    return json.isMissingNode() || json.isNull();
  }

  public ConfigException error(String problem) {
    return new ConfigException(path.isEmpty() ? "(root)" : path, problem);
  }

  /** Fails on any field not in {@code allowed}; the message lists the allowed ones. */
  public Node allowOnly(String... allowed) {
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

  public Node field(String name) {
    return new Node(path.isEmpty() ? name : path + "." + name, json.get(name));
  }

  public Node required(String name) {
    Node f = field(name);
    if (f.isMissing()) {
      throw f.error("required field is missing");
    }
    return f;
  }

  public List<Node> list() {
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

  public String text() {
    if (!json.isTextual() && !json.isNumber() && !json.isBoolean()) {
      throw error("expected a string, found " + describe(json));
    }
    return json.asText();
  }

  public String text(String fallback) {
    return isMissing() ? fallback : text();
  }

  public int integer(int fallback, int min, int max) {
    if (isMissing()) {
      return fallback;
    }
    if (!json.isIntegralNumber()) {
      throw error("expected an integer, found " + describe(json)
          + (json.isTextual() && DECIMAL_INT.matcher(json.asText()).matches()
              ? " (a quoted string: remove the quotes)" : ""));
    }
    if (!json.canConvertToInt() || json.intValue() < min || json.intValue() > max) {
      throw error("must be between " + min + " and " + max + ", found " + json.asText());
    }
    return json.intValue();
  }

  /** A number (integer or decimal) between {@code min} and {@code max}, both included. */
  public double number(double fallback, double min, double max) {
    if (isMissing()) {
      return fallback;
    }
    if (!json.isNumber()) {
      throw error("expected a number between " + plain(min) + " and " + plain(max) + ", found "
          + describe(json));
    }
    double v = json.doubleValue();
    if (!(v >= min && v <= max)) {
      throw error("must be between " + plain(min) + " and " + plain(max) + ", found " + json.asText());
    }
    return v;
  }

  private static String plain(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  public boolean bool(boolean fallback) {
    if (isMissing()) {
      return fallback;
    }
    if (!json.isBoolean()) {
      throw error("expected true or false, found " + describe(json));
    }
    return json.booleanValue();
  }

  /** A duration written {@code 250ms}, {@code 3s}, {@code 1m} or {@code 1h}. */
  public Duration duration(Duration fallback) {
    if (isMissing()) {
      return fallback;
    }
    Duration d;
    try {
      d = parseDuration(text());
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage() + (json.isNumber() ? " (a duration needs its unit)" : ""));
    }
    if (d.isZero()) {
      throw error("must be greater than zero");
    }
    return d;
  }

  /**
   * {@code 250ms}, {@code 3s}, {@code 1m} or {@code 1h}: the configuration's one duration syntax.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code text}
   */
  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration like 250ms, 3s, 1m, found '" + text + "'");
    }
    Duration unit = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(1);
      case "s" -> Duration.ofSeconds(1);
      case "m" -> Duration.ofMinutes(1);
      default -> Duration.ofHours(1);
    };
    // Beyond a year is a typo, and keeps every later nanosecond sum far from overflow.
    if (m.group(1).length() > 12 || unit.multipliedBy(Long.parseLong(m.group(1)))
        .compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("must be at most " + MAX_DURATION.toDays() + " days, found '"
          + text + "'");
    }
    return unit.multipliedBy(Long.parseLong(m.group(1)));
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
    // Compared before multiplying: a huge count must not overflow into a small or negative size.
    if (m.group(1).length() > 18 || Long.parseLong(m.group(1)) > max / unit) {
      throw error("must be between 1 and " + max + " bytes, found '" + json.asText() + "'");
    }
    long v = Long.parseLong(m.group(1)) * unit;
    if (v <= 0) {
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

  /**
   * {@code host:port} ({@code [::1]:20880} for IPv6) to listen on: port 0 picks a free port. The
   * host must be a well-formed name or IP literal; it is not looked up here.
   */
  HostPort hostPort() {
    return hostPort(0);
  }

  /** {@code host:port} to connect to: like {@link #hostPort()}, but port 0 is refused. */
  public HostPort endpointAddress() {
    return hostPort(1);
  }

  private HostPort hostPort(int minPort) {
    String text = text().trim();
    if (text.contains("://")) {
      throw error("expected host:port, found '" + text + "' (an address, not a URL: no scheme)");
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0 || colon == text.length() - 1) {
      throw error("expected host:port, found '" + text + "'");
    }
    String host = text.substring(0, colon);
    if ((host.isEmpty() || host.equals("*")) && minPort == 0) {
      throw error("expected host:port, found '" + text + "' (to listen on every address write 0.0.0.0"
          + text.substring(colon) + ", or [::]" + text.substring(colon) + " for IPv6 too)");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0 && HostPort.hostProblem(host) != null) {
      throw error("expected host:port, found '" + text + "' (IPv6 is written [::1]:20880)");
    }
    if (host.isEmpty()) {
      throw error("expected host:port, found '" + text + "' (the host is missing)");
    }
    String problem = HostPort.hostProblem(host);
    if (problem != null) {
      throw error(problem);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw error("port must be a number, found '" + text.substring(colon + 1) + "'");
    }
    if (port == 0 && minPort > 0) {
      throw error("port 0 cannot be connected to; give the port the server listens on (1-65535)");
    }
    if (port < minPort || port > 65535) {
      throw error("port must be between " + minPort + " and 65535, found " + port);
    }
    return new HostPort(host, port);
  }

  /**
   * Reads one YAML document into a tree, or a missing node when the text holds none. Stricter
   * than Jackson's own {@code readTree} where it would silently change the meaning:
   * <ul>
   *   <li>a key given twice in one mapping is an error (Jackson keeps the last one);
   *   <li>a second document after {@code ---} is an error (Jackson ignores it);
   *   <li>an alias ({@code *name}) is replaced by the mapping or list anchored {@code &name}
   *       (Jackson gives the string {@code "name"}); {@code <<: *name} merges a mapping's keys
   *       (keys written beside it win). Anchors on single values are not reported by the parser:
   *       an alias to one is an error rather than a wrong value;
   *   <li>a plain scalar is a number or a boolean only when that value prints back as written:
   *       {@code 1.10}, {@code 010}, {@code 0x1F}, {@code 1_000}, {@code yes}, {@code on} stay the
   *       strings written (YAML 1.1 makes them 1.1, 8, 31, 1000, true, true; a match on
   *       {@code version: 1.10} must not compare "1.1").
   * </ul>
   * Syntax errors name the line and column once, on one line.
   */
  static JsonNode read(String yaml) {
    try (YAMLParser parser = YAML.createParser(yaml)) {
      if (parser.nextToken() == null) {
        return MissingNode.getInstance();
      }
      JsonNode root = new Reader(parser).value("", 0);
      if (parser.nextToken() != null) {
        throw at(parser.currentTokenLocation(), "a second YAML document (after '---') is not "
            + "supported; the configuration is one document");
      }
      return root.isNull() ? MissingNode.getInstance() : root;
    } catch (JsonProcessingException e) {
      throw syntaxError(e, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading from a String does not fail
    }
  }

  private static final YAMLFactory YAML = new YAMLFactory();
  /** Values an alias may expand the document to (a "billion laughs" file stops here). */
  static final int MAX_VALUES = 1_000_000;
  private static final int MAX_DEPTH = 200;
  private static final Set<String> BOOLEANS =
      Set.of("true", "True", "TRUE", "false", "False", "FALSE");
  private static final Pattern DECIMAL_INT = Pattern.compile("0|-?[1-9][0-9]*");

  /** Builds the tree from the parser's tokens; the rules are on {@link #read}. */
  private static final class Reader {
    private final YAMLParser parser;
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;
    private final Map<String, Anchored> anchors = new HashMap<>();
    private long values;

    private record Anchored(JsonNode node, long values) {}

    Reader(YAMLParser parser) {
      this.parser = parser;
    }

    /** The value at the current token, which is consumed. */
    JsonNode value(String path, int depth) throws IOException {
      if (depth > MAX_DEPTH) {
        throw at(parser.currentTokenLocation(), "nested more than " + MAX_DEPTH + " levels deep");
      }
      JsonToken token = parser.currentToken();
      long before = values++;
      String anchor = token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY
          ? parser.getObjectId() : null;
      JsonNode node = switch (token) {
        case START_OBJECT -> mapping(path, depth);
        case START_ARRAY -> list(path, depth);
        case VALUE_STRING -> parser.isCurrentAlias() ? alias(parser.getText())
            : TextNode.valueOf(parser.getText());
        default -> scalar(token, parser.getText());
      };
      if (anchor != null) {
        anchors.put(anchor, new Anchored(node, values - before));
      }
      return node;
    }

    private ObjectNode mapping(String path, int depth) throws IOException {
      ObjectNode object = nodes.objectNode();
      Map<String, Integer> lines = new HashMap<>();
      List<ObjectNode> merged = new ArrayList<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        int line = parser.currentTokenLocation().getLineNr();
        String keyPath = path.isEmpty() ? key : path + "." + key;
        parser.nextToken();
        JsonNode v = value(keyPath, depth + 1);
        Integer first = lines.putIfAbsent(key, line);
        if (first != null) {
          throw new ConfigException(keyPath, "given twice, at line " + first + " and at line "
              + line + " (a key may appear only once in a mapping)");
        }
        if (key.equals("<<")) {
          merged.addAll(mergeSources(keyPath, v));
        } else {
          object.set(key, v);
        }
      }
      // YAML merge keys: keys written in the mapping win, then earlier merged mappings.
      for (ObjectNode m : merged) {
        m.fields().forEachRemaining(e -> object.putIfAbsent(e.getKey(), e.getValue()));
      }
      return object;
    }

    private static List<ObjectNode> mergeSources(String path, JsonNode v) {
      List<ObjectNode> sources = new ArrayList<>();
      for (JsonNode m : v.isArray() ? v : List.of(v)) {
        if (!m.isObject()) {
          throw new ConfigException(path, "a merge key (<<) takes a mapping or a list of "
              + "mappings, found " + describe(m));
        }
        sources.add((ObjectNode) m);
      }
      return sources;
    }

    private ArrayNode list(String path, int depth) throws IOException {
      ArrayNode array = nodes.arrayNode();
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        array.add(value(path + "[" + array.size() + "]", depth + 1));
      }
      return array;
    }

    /** The anchored node itself (trees are read-only from here on), counted at its full size. */
    private JsonNode alias(String name) {
      Anchored a = anchors.get(name);
      if (a == null) {
        throw at(parser.currentTokenLocation(), "unknown alias *" + name + " (an alias must "
            + "name a mapping or list anchored &" + name + " earlier in the file; anchors on "
            + "single values are not supported, write the value out)");
      }
      values += a.values - 1;
      if (values > MAX_VALUES) {
        throw at(parser.currentTokenLocation(), "aliases expand the document beyond "
            + MAX_VALUES + " values");
      }
      return a.node;
    }

    private static JsonNode scalar(JsonToken token, String raw) {
      switch (token) {
        case VALUE_NULL:
          return NullNode.getInstance();
        case VALUE_TRUE:
        case VALUE_FALSE:
          return BOOLEANS.contains(raw) ? BooleanNode.valueOf(token == JsonToken.VALUE_TRUE)
              : TextNode.valueOf(raw);
        case VALUE_NUMBER_INT:
          if (DECIMAL_INT.matcher(raw).matches()) {
            BigInteger v = new BigInteger(raw);
            return v.bitLength() < 32 ? IntNode.valueOf(v.intValue())
                : v.bitLength() < 64 ? LongNode.valueOf(v.longValue()) : BigIntegerNode.valueOf(v);
          }
          return TextNode.valueOf(raw);
        case VALUE_NUMBER_FLOAT:
          try {
            double d = Double.parseDouble(raw);
            return Double.toString(d).equals(raw) ? DoubleNode.valueOf(d) : TextNode.valueOf(raw);
          } catch (NumberFormatException e) {
            return TextNode.valueOf(raw); // .inf, .nan
          }
        default:
          return TextNode.valueOf(raw);
      }
    }
  }

  private static ConfigException at(JsonLocation where, String problem) {
    return new ConfigException(
        "line " + where.getLineNr() + ", column " + where.getColumnNr(), problem);
  }

  /**
   * The parser's complaint on one line, located once: SnakeYAML's own mark (Jackson's location
   * lags behind it, often by a line), its problem, and what it was reading and where that began.
   */
  private static ConfigException syntaxError(JsonProcessingException e, String yaml) {
    if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
      Mark mark = m.getProblemMark();
      String where = "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      String tab = tabAt(yaml, mark.getLine(), mark.getColumn());
      if (tab != null) {
        return new ConfigException(where, tab);
      }
      StringBuilder problem = new StringBuilder(oneLine(m.getProblem()));
      Mark c = m.getContextMark();
      if (m.getContext() != null) {
        problem.append(" (").append(oneLine(m.getContext()));
        if (c != null && (c.getLine() != mark.getLine() || c.getColumn() != mark.getColumn())) {
          problem.append(" that starts at line ").append(c.getLine() + 1)
              .append(", column ").append(c.getColumn() + 1);
        }
        problem.append(')');
      }
      // SnakeYAML's problems are text, without types; these two are the ones new users meet most.
      if (m.getProblem().startsWith("mapping values are not allowed")) {
        problem.append("; quote a value that contains ': ', or check the indentation");
      } else if (m.getProblem().contains("<block end>")) {
        problem.append("; check the indentation");
      }
      return new ConfigException(where, problem.toString());
    }
    JsonLocation l = e.getLocation();
    String problem = oneLine(e.getOriginalMessage());
    return l == null || l.getLineNr() < 1 ? new ConfigException("(yaml)", problem) : at(l, problem);
  }

  /** When the character at (line, column), both from 0, is a tab: what to say about it. */
  private static String tabAt(String yaml, int line, int column) {
    String[] lines = yaml.split("\r?\n|\r", -1);
    if (line >= lines.length) {
      return null;
    }
    int[] cps = lines[line].codePoints().toArray();
    if (column >= cps.length || cps[column] != '\t') {
      return null;
    }
    for (int i = 0; i < column; i++) {
      if (cps[i] != ' ' && cps[i] != '\t') {
        return "a tab character; YAML does not allow tabs here, use spaces";
      }
    }
    return "a tab character; tabs are not allowed for indentation in YAML, indent with spaces";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.strip().replaceAll("\\s+", " ");
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
