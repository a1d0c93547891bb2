// Decodes Kafka record values as Flume's AvroFlumeEvent with Apache Avro's own binary decoder.
// Input (stdin): records framed as kcat -f '%T %S\n%s\n' writes them: "<timestamp> <length>",
// a newline, the value's bytes, a newline. Output: one line per record,
// "<timestamp> <base64 body> <base64 key>:<base64 value>,...", or an error for any record whose
// bytes are not exactly one event.
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

public class FlumeEventDump {
  /** Flume's flume-ng-sdk schema (flume.avdl: record AvroFlumeEvent { map<string> headers; bytes body; }). */
  static final String SCHEMA = "{\"type\":\"record\",\"name\":\"AvroFlumeEvent\",\"namespace\":\"org.apache.flume.source.avro\","
      + "\"fields\":[{\"name\":\"headers\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},{\"name\":\"body\",\"type\":\"bytes\"}]}";

  public static void main(String[] args) throws IOException {
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(new Schema.Parser().parse(SCHEMA));
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    Base64.Encoder base64 = Base64.getEncoder();
    BinaryDecoder decoder = null;
    for (String frame = line(in); frame != null; frame = line(in)) {
      if (frame.isEmpty()) continue;
      String[] parts = frame.split(" ");
      byte[] value = new byte[Integer.parseInt(parts[1])];
      in.readFully(value);
      if (in.read() != '\n') throw new IOException("no newline after a value of " + value.length + " bytes");
      decoder = DecoderFactory.get().binaryDecoder(value, decoder);
      GenericRecord event = reader.read(null, decoder);
      if (!decoder.isEnd()) throw new IOException("bytes left after the event in a value of " + value.length + " bytes");
      List<String> headers = new ArrayList<>();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) event.get("headers")).entrySet()) {
        headers.add(base64.encodeToString(entry.getKey().toString().getBytes(StandardCharsets.UTF_8)) + ":"
            + base64.encodeToString(entry.getValue().toString().getBytes(StandardCharsets.UTF_8)));
      }
      ByteBuffer body = (ByteBuffer) event.get("body");
      byte[] bytes = new byte[body.remaining()];
      body.get(bytes);
      out.println(parts[0] + " " + base64.encodeToString(bytes) + " " + String.join(",", headers));
    }
    out.flush();
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b == -1) return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.US_ASCII);
      bytes.write(b);
    }
    return bytes.toString(StandardCharsets.US_ASCII);
  }
}
