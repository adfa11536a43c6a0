package io.llmgateway.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SseDecoderTests {

	private static final String STREAM = "data: {\"text\":\"héllo wörld ✓ 日本\"}\n\n"
			+ ": keep-alive comment\n\n"
			+ "event: message_delta\r\ndata: line one\r\ndata: line two\r\n\r\n"
			+ "data:no-space\rdata: second\r\r"
			+ "id: 7\nretry: 100\ndata: [DONE]\n\n";

	private static final List<Frame> EXPECTED = List.of(
			new Frame(null, "{\"text\":\"héllo wörld ✓ 日本\"}", 0),
			new Frame("message_delta", "line one\nline two", 0), new Frame(null, "no-space\nsecond", 0),
			new Frame(null, "[DONE]", 0));

	@Test
	void decodesEveryEventWhateverTheChunking() {
		byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
		for (int split = 1; split < bytes.length; split++) {
			assertThat(withoutPositions(decode(bytes, split, bytes.length)))
				.as("split at byte %d", split)
				.isEqualTo(EXPECTED);
		}
		for (int step = 1; step <= 7; step++) {
			assertThat(withoutPositions(decodeInSteps(bytes, step))).as("chunks of %d bytes", step)
				.isEqualTo(EXPECTED);
		}
	}

	@Test
	void reportsWhereEachEventEnds() {
		byte[] bytes = "data: a\n\ndata: b\n\n".getBytes(StandardCharsets.UTF_8);
		List<Frame> frames = decodeInSteps(bytes, 3);
		assertThat(frames).extracting(Frame::endPosition).containsExactly(9L, 18L);
	}

	@Test
	void dropsAnEventCutOffByTheEndOfTheStream() {
		SseDecoder decoder = new SseDecoder(1024);
		List<Frame> frames = new ArrayList<>();
		decoder.feed(utf8("data: whole\n\ndata: cut"), frames::add);
		decoder.finish(frames::add);
		assertThat(frames).extracting(Frame::data).containsExactly("whole");
		assertThat(decoder.lastFrameEnd()).isEqualTo(13);
	}

	@Test
	void stopsOnAFrameOverTheCapAndKeepsNothingOfIt() {
		SseDecoder decoder = new SseDecoder(64);
		List<Frame> frames = new ArrayList<>();
		assertThat(decoder.feed(utf8("data: ok\n\n"), frames::add)).isTrue();
		assertThat(decoder.feed(utf8("data: " + "x".repeat(100) + "\n\n"), frames::add)).isFalse();
		assertThat(decoder.feed(utf8("data: later\n\n"), frames::add)).isFalse();
		assertThat(decoder.isOverflowed()).isTrue();
		assertThat(frames).extracting(Frame::data).containsExactly("ok");
	}

	@Test
	void capAppliesToManyDataLinesOfOneEvent() {
		SseDecoder decoder = new SseDecoder(64);
		List<Frame> frames = new ArrayList<>();
		StringBuilder event = new StringBuilder();
		for (int i = 0; i < 20; i++) {
			event.append("data: 0123456789\n");
		}
		assertThat(decoder.feed(utf8(event + "\n"), frames::add)).isFalse();
		assertThat(frames).isEmpty();
	}

	@Test
	void handsOnTheEventsBytesAsTheyArrivedAndTheCapCountsBytes() {
		byte[] malformed = { 'd', 'a', 't', 'a', ':', ' ', '"', (byte) 0xE6, '"', '\n', '\n' };
		List<Frame> frames = new ArrayList<>();
		SseDecoder decoder = new SseDecoder(20);
		assertThat(decoder.feed(ByteBuffer.wrap(malformed), frames::add)).isTrue();
		assertThat(frames).singleElement().satisfies(frame -> {
			assertThat(frame.dataBytes()).containsExactly('"', (byte) 0xE6, '"');
			assertThat(frame.data()).isEqualTo("\"\uFFFD\"");
		});
		// Two lines of four three-byte characters: each line is under the cap, the event's
		// 25 bytes of data are over it, its 9 characters are not.
		assertThat(decoder.feed(utf8("data: 日日日日\ndata: 日日日日\n\n"), frames::add)).isFalse();
		assertThat(frames).hasSize(1);
	}

	private static List<Frame> decode(byte[] bytes, int from, int to) {
		SseDecoder decoder = new SseDecoder(1024);
		List<Frame> frames = new ArrayList<>();
		decoder.feed(ByteBuffer.wrap(bytes, 0, from), frames::add);
		decoder.feed(ByteBuffer.wrap(bytes, from, to - from), frames::add);
		decoder.finish(frames::add);
		return frames;
	}

	private static List<Frame> decodeInSteps(byte[] bytes, int step) {
		SseDecoder decoder = new SseDecoder(1024);
		List<Frame> frames = new ArrayList<>();
		for (int i = 0; i < bytes.length; i += step) {
			decoder.feed(ByteBuffer.wrap(bytes, i, Math.min(step, bytes.length - i)), frames::add);
		}
		decoder.finish(frames::add);
		return frames;
	}

	private static List<Frame> withoutPositions(List<Frame> frames) {
		return frames.stream().map(frame -> new Frame(frame.type(), frame.data(), 0)).toList();
	}

	private static ByteBuffer utf8(String text) {
		return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
	}

}
