package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonDecoderTests {

	@Test
	void splitsLinesAcrossChunksAndDeliversAnUnterminatedLastLine() {
		byte[] bytes = "{\"a\":\"é\"}\r\n\n  \n{\"b\":2}\n{\"c\":3}".getBytes(StandardCharsets.UTF_8);
		for (int split = 1; split < bytes.length; split++) {
			NdjsonDecoder decoder = new NdjsonDecoder(1024);
			List<Frame> frames = new ArrayList<>();
			decoder.feed(ByteBuffer.wrap(bytes, 0, split), frames::add);
			decoder.feed(ByteBuffer.wrap(bytes, split, bytes.length - split), frames::add);
			decoder.finish(frames::add);
			assertThat(frames).as("split at %d", split)
				.extracting(Frame::data)
				.containsExactly("{\"a\":\"é\"}", "{\"b\":2}", "{\"c\":3}");
		}
	}

	@Test
	void stopsOnALineOverTheCap() {
		NdjsonDecoder decoder = new NdjsonDecoder(16);
		List<Frame> frames = new ArrayList<>();
		assertThat(decoder.feed(ByteBuffer.wrap(("{\"x\":\"" + "y".repeat(40) + "\"}\n").getBytes()), frames::add))
			.isFalse();
		decoder.finish(frames::add);
		assertThat(frames).isEmpty();
	}

}
