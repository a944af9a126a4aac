package io.protean.proxy.codec.dubbo;

/**
 * Dubbo's serialization ids (the low 5 bits of a frame's flags byte), by name: Dubbo's own
 * {@code *_SERIALIZATION_ID} constants, so an error can say what a client used.
 */
final class DubboSerialization {
  static final int HESSIAN2 = 2;
  static final int FASTJSON2 = 23;
  private static final String[] NAMES = new String[32];

  static {
    NAMES[2] = "hessian2";
    NAMES[3] = "java";
    NAMES[4] = "compactedjava";
    NAMES[6] = "fastjson";
    NAMES[7] = "nativejava";
    NAMES[8] = "kryo";
    NAMES[9] = "fst";
    NAMES[10] = "native-hessian";
    NAMES[11] = "avro";
    NAMES[12] = "protostuff";
    NAMES[16] = "gson";
    NAMES[21] = "protobuf-json";
    NAMES[22] = "protobuf";
    NAMES[23] = "fastjson2";
    NAMES[25] = "kryo2";
    NAMES[31] = "msgpack";
  }

  private DubboSerialization() {}

  /** True for the serializations whose bodies this codec reads. */
  static boolean readable(int id) {
    return id == HESSIAN2 || id == FASTJSON2;
  }

  /** "fastjson2 (id 23)", or "id 5" for an id Dubbo does not name. */
  static String describe(int id) {
    String name = NAMES[id & 0x1f];
    return name == null ? "id " + id : name + " (id " + id + ")";
  }

  /** Why a body of serialization {@code id} is not read. */
  static String unsupported(String what, int id) {
    return what + " serialization " + describe(id)
        + " is not supported; this codec reads hessian2 (id 2) and fastjson2 (id 23)";
  }
}
