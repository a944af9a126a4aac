package io.protean.demo.peers;

import java.io.Serializable;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * A deliberately varied argument type: its hessian2 form has class definitions, objects, typed
 * lists, maps, binary, longs, doubles and dates, which the codec must skip to reach attachments.
 */
public class Order implements Serializable {
  private static final long serialVersionUID = 1L;

  public String id;
  public List<Item> items;
  public Map<String, Object> tags;
  public byte[] blob;
  public long createdMillis;
  public double total;
  public boolean urgent;
  public Date due;
  public int[] quantities;

  /** One order line. */
  public static class Item implements Serializable {
    private static final long serialVersionUID = 1L;
    public String sku;
    public int count;
    public Item self;

    public Item() {}

    public Item(String sku, int count) {
      this.sku = sku;
      this.count = count;
    }
  }
}
