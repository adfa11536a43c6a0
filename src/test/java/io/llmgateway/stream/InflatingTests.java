package io.llmgateway.stream;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class InflatingTests {

	private static final String TEXT = "data: {\"choices\":[{\"delta\":{\"content\":\"Grüße\"}}]}\n\n".repeat(50);

	@Test
	void inflatesGzipFedOneByteAtATime() throws Exception {
		byte[] gzip = gzip(TEXT.getBytes(StandardCharsets.UTF_8));
		assertThat(inflate(Inflating.forEncoding("gzip"), gzip, 1)).isEqualTo(TEXT);
		assertThat(inflate(Inflating.forEncoding("GZIP"), gzip, 97)).isEqualTo(TEXT);
	}

	@Test
	void readsAGzipHeaderWithExtraNameAndCommentFields() {
		byte[] deflated = rawDeflate(TEXT.getBytes(StandardCharsets.UTF_8));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		// magic, deflate, flags FEXTRA|FNAME|FCOMMENT, mtime, xfl, os
		out.writeBytes(new byte[] { 0x1f, (byte) 0x8b, 8, 4 | 8 | 16, 0, 0, 0, 0, 0, 3 });
		out.writeBytes(new byte[] { 3, 0, 'a', 'b', 'c' });
		out.writeBytes("body.txt\0".getBytes(StandardCharsets.ISO_8859_1));
		out.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
		out.writeBytes(deflated);
		out.writeBytes(new byte[8]);
		for (int step = 1; step <= 5; step++) {
			assertThat(inflate(Inflating.forEncoding("gzip"), out.toByteArray(), step)).isEqualTo(TEXT);
		}
	}

	@Test
	void inflatesDeflate() throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (DeflaterOutputStream deflate = new DeflaterOutputStream(out)) {
			deflate.write(TEXT.getBytes(StandardCharsets.UTF_8));
		}
		assertThat(inflate(Inflating.forEncoding("deflate"), out.toByteArray(), 13)).isEqualTo(TEXT);
	}

	@Test
	void reportsDataThatIsNotGzip() {
		Inflating inflating = Inflating.forEncoding("gzip");
		assertThat(inflating.feed(ByteBuffer.wrap("{\"plain\":true}".getBytes()), out -> {
		})).isFalse();
	}

	@Test
	void identityNeedsNoInflaterAndUnknownEncodingsAreRefused() {
		assertThat(Inflating.forEncoding(null)).isNull();
		assertThat(Inflating.forEncoding("identity")).isNull();
		assertThatIllegalArgumentException().isThrownBy(() -> Inflating.forEncoding("br"));
	}

	private static String inflate(Inflating inflating, byte[] data, int step) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (int i = 0; i < data.length; i += step) {
			assertThat(inflating.feed(ByteBuffer.wrap(data, i, Math.min(step, data.length - i)), piece -> {
				byte[] bytes = new byte[piece.remaining()];
				piece.get(bytes);
				out.writeBytes(bytes);
			})).isTrue();
		}
		inflating.close();
		return out.toString(StandardCharsets.UTF_8);
	}

	static byte[] gzip(byte[] data) throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
			gzip.write(data);
		}
		return out.toByteArray();
	}

	private static byte[] rawDeflate(byte[] data) {
		Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
		deflater.setInput(data);
		deflater.finish();
		byte[] buffer = new byte[data.length + 64];
		int n = deflater.deflate(buffer);
		deflater.end();
		byte[] out = new byte[n];
		System.arraycopy(buffer, 0, out, 0, n);
		return out;
	}

}
