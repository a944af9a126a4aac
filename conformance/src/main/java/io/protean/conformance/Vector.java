package io.protean.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One conformance vector: input bytes and what a codec must make of them. A YAML file under
 * {@code vectors/<protocol>/}; the bytes are inline ({@code input_hex}) or in a file next to it
 * ({@code input: name.bin}). See docs/conformance.md for every field.
 *
 * @param name        the file name without {@code .yaml}
 * @param description what the vector is and where its bytes came from
 * @param input       the bytes fed to the codec
 * @param error       true when decoding must fail with a codec error
 * @param type        expected message type (REQUEST, RESPONSE, ONEWAY, HEARTBEAT, ERROR, EVENT)
 * @param requestId   expected request id, or null to skip the check
 * @param consumed    expected bytes consumed (default: the whole input)
 * @param status      expected response status name, or null
 * @param metadata    the exact expected metadata (null: not checked)
 * @param mutation    metadata changes for an encode round trip (null: no encode check); a null
 *                    value removes the key
 * @param errorReply  an error type name: its reply must decode as a response with the same id
 *                    (or be absent for one-way requests)
 * @param responseClass the expected {@code Codec.classify} of a response (a ResponseClass name),
 *                    or null: not checked
 * @param unreadable  the expected reason of a request the codec frames but cannot read
 *                    ({@code Frame.unreadable}); null: the frame must be readable
 */
public record Vector(String name, String description, byte[] input, boolean error, String type,
    Long requestId, Integer consumed, String status, Map<String, String> metadata,
    Map<String, String> mutation, String errorReply, String responseClass, String unreadable) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Bytes a valid vector's frame occupies. */
  public int frameLength() {
    return consumed != null ? consumed : input.length;
  }

  /** Loads every {@code *.yaml} vector of a directory, sorted by name. */
  public static List<Vector> loadAll(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no vector directory " + dir);
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Vector> out = new ArrayList<>();
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        out.add(load(f));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * One vector file.
   *
   * @throws IllegalArgumentException naming the file and what is wrong in it
   */
  static Vector load(Path file) throws IOException {
    JsonNode n;
    try {
      n = YAML.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")")
          + "; a value with a colon, such as a description, needs quotes");
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(file + ": expected a mapping (description, input_hex,"
          + " expect, ...)");
    }
    String name = file.getFileName().toString().replaceFirst("\\.yaml$", "");
    byte[] input;
    if (n.hasNonNull("input_hex")) {
      JsonNode hex = n.get("input_hex");
      if (!hex.isTextual()) {
        throw new IllegalArgumentException(file + ": input_hex must be a quoted string (YAML read "
            + hex + " as a " + hex.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
            + "): write input_hex: \"...\"");
      }
      try {
        input = HexFormat.of().parseHex(hex.asText().replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": input_hex: " + e.getMessage());
      }
    } else if (n.hasNonNull("input")) {
      input = Files.readAllBytes(file.resolveSibling(n.get("input").asText()));
    } else {
      throw new IllegalArgumentException(file + ": input_hex or input is required");
    }
    JsonNode expect = n.path("expect");
    return new Vector(name, n.path("description").asText(""), input,
        expect.path("error").asBoolean(false),
        text(expect, "type"),
        expect.hasNonNull("request_id") ? expect.get("request_id").asLong() : null,
        expect.hasNonNull("consumed") ? expect.get("consumed").asInt() : null,
        text(expect, "status"),
        map(expect.get("metadata")),
        map(n.get("mutation")),
        text(n, "error_reply"),
        text(expect, "response_class"),
        text(expect, "unreadable"));
  }

  private static String text(JsonNode n, String field) {
    return n.hasNonNull(field) ? n.get(field).asText() : null;
  }

  private static Map<String, String> map(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    Map<String, String> m = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
    return m;
  }
}
