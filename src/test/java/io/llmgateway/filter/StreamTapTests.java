package io.llmgateway.filter;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.provider.StreamHandler;
import io.llmgateway.provider.openai.OpenAiAdapter;
import io.llmgateway.stream.SseDecoder;
import io.llmgateway.usage.TokenEstimator;
import io.llmgateway.usage.TokenUsage;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import static org.assertj.core.api.Assertions.assertThat;

class StreamTapTests {

	private static final String CONTENT = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüß\"}}],\"usage\":null}\n\n"
			+ ": ping\n\n"
			+ "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\r\n\r\n";

	private static final String USAGE = "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n";

	private static final String DONE = "data: [DONE]\n\n";

	private static final TokenEstimator estimator = new TokenEstimator();

	private final OpenAiAdapter adapter = new OpenAiAdapter(JsonMapper.builder().build());

	@Test
	void cutsTheInjectedUsageChunkWhereverTheNetworkSplitsTheStream() {
		byte[] upstream = (CONTENT + USAGE + DONE).getBytes(StandardCharsets.UTF_8);
		String expected = CONTENT.replace(",\"usage\":null", "") + DONE;
		for (int a = 1; a < upstream.length; a++) {
			for (int b = a; b < upstream.length; b += 17) {
				LlmResponse response = new LlmResponse("m", estimator);
				String sent = run(true, response, upstream, a, b);
				assertThat(sent).as("splits at %d and %d", a, b).isEqualTo(expected);
				assertThat(response.usage()).isEqualTo(TokenUsage.of(3, 4));
			}
		}
	}

	@Test
	void cutsNullUsageMembersWhereverTheyStand() {
		String upstream = "data: {\"usage\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
				+ "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}] , \"usage\" :null }\n\n" + DONE;
		String expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
				+ "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]  }\n\n" + DONE;
		byte[] bytes = upstream.getBytes(StandardCharsets.UTF_8);
		for (int a = 1; a < bytes.length; a += 3) {
			assertThat(run(true, new LlmResponse("m", estimator), bytes, a, Math.min(bytes.length - 1, a + 40)))
				.as("split at %d", a)
				.isEqualTo(expected);
		}
	}

	@Test
	void passesEveryByteWhenNothingIsCut() {
		byte[] upstream = (CONTENT + USAGE + DONE).getBytes(StandardCharsets.UTF_8);
		LlmResponse response = new LlmResponse("m", estimator);
		assertThat(run(false, response, upstream, 10, 200)).isEqualTo(CONTENT + USAGE + DONE);
		assertThat(response.usage()).isEqualTo(TokenUsage.of(3, 4));
	}

	@Test
	void sendsOnAnUnfinishedTailWhenTheStreamEnds() {
		byte[] upstream = (CONTENT + "data: {\"cut\":").getBytes(StandardCharsets.UTF_8);
		assertThat(run(true, new LlmResponse("m", estimator), upstream, 5, 90))
			.isEqualTo(CONTENT.replace(",\"usage\":null", "") + "data: {\"cut\":");
	}

	@Test
	void fallsBackToPassingBytesOnWhenAFrameIsTooLarge() {
		String huge = "data: " + "x".repeat(600) + "\n\n";
		byte[] upstream = (CONTENT + huge + USAGE + DONE).getBytes(StandardCharsets.UTF_8);
		LlmResponse response = new LlmResponse("m", estimator);
		// Frames before the oversized one are already edited; from it on, bytes pass as they came.
		assertThat(run(true, response, upstream, 50, 400))
			.isEqualTo(CONTENT.replace(",\"usage\":null", "") + huge + USAGE + DONE);
		assertThat(response.errorType()).isEqualTo("invalid_response");
	}

	@Test
	void anAdapterThatThrowsCostsTheClientNoByte() {
		byte[] upstream = (CONTENT + USAGE + DONE).getBytes(StandardCharsets.UTF_8);
		for (int a = 1; a < upstream.length; a += 7) {
			LlmResponse response = new LlmResponse("m", estimator);
			int[] frames = { 0 };
			StreamHandler failing = frame -> {
				if (++frames[0] == 2) {
					throw new IllegalStateException("adapter bug");
				}
				return FrameEdit.KEEP;
			};
			StreamTap tap = new StreamTap(new FrameReader(new SseDecoder(512), null, failing, response),
					DefaultDataBufferFactory.sharedInstance, true);
			ByteArrayOutputStream sent = new ByteArrayOutputStream();
			collect(tap.onBuffer(DefaultDataBufferFactory.sharedInstance.wrap(copy(upstream, 0, a))), sent);
			collect(tap.onBuffer(DefaultDataBufferFactory.sharedInstance.wrap(copy(upstream, a, upstream.length))),
					sent);
			collect(tap.onComplete(), sent);
			assertThat(sent.toString(StandardCharsets.UTF_8)).as("split at %d", a).isEqualTo(CONTENT + USAGE + DONE);
			assertThat(response.errorType()).isEqualTo("invalid_response");
		}
	}

	private String run(boolean aligned, LlmResponse response, byte[] upstream, int a, int b) {
		LlmRequest request = this.adapter.readRequest(Operation.CHAT,
				"{\"model\":\"m\",\"stream\":true}".getBytes(StandardCharsets.UTF_8));
		FrameReader reader = new FrameReader(new SseDecoder(512), null,
				this.adapter.streamHandler(request, response, aligned), response);
		StreamTap tap = new StreamTap(reader, DefaultDataBufferFactory.sharedInstance, aligned);
		ByteArrayOutputStream sent = new ByteArrayOutputStream();
		int[] cuts = { 0, a, b, upstream.length };
		for (int i = 0; i < 3; i++) {
			if (cuts[i + 1] > cuts[i]) {
				collect(tap.onBuffer(DefaultDataBufferFactory.sharedInstance.wrap(copy(upstream, cuts[i], cuts[i + 1]))),
						sent);
			}
		}
		collect(tap.onComplete(), sent);
		return sent.toString(StandardCharsets.UTF_8);
	}

	private static void collect(DataBuffer buffer, ByteArrayOutputStream sent) {
		if (buffer != null) {
			byte[] bytes = new byte[buffer.readableByteCount()];
			buffer.read(bytes);
			DataBufferUtils.release(buffer);
			sent.writeBytes(bytes);
		}
	}

	private static byte[] copy(byte[] source, int from, int to) {
		byte[] part = new byte[to - from];
		System.arraycopy(source, from, part, 0, part.length);
		return part;
	}

}
