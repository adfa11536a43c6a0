package io.llmgateway.provider.openai;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.provider.FrameEdit;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.provider.StreamHandler;
import io.llmgateway.stream.Frame;
import io.llmgateway.stream.SseDecoder;
import io.llmgateway.usage.TokenEstimator;
import io.llmgateway.usage.TokenUsage;

import org.springframework.http.HttpMethod;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiAdapterTests {

	private static final TokenEstimator estimator = new TokenEstimator();

	private final JsonMapper json = JsonMapper.builder().build();

	private final OpenAiAdapter adapter = new OpenAiAdapter(this.json);

	@Test
	void namesOperationsByPath() {
		assertThat(this.adapter.operation(HttpMethod.POST, "/openai/v1/chat/completions")).isEqualTo(Operation.CHAT);
		assertThat(this.adapter.operation(HttpMethod.POST, "/v1/completions")).isEqualTo(Operation.TEXT_COMPLETION);
		assertThat(this.adapter.operation(HttpMethod.POST, "/v1/embeddings")).isEqualTo(Operation.EMBEDDINGS);
		assertThat(this.adapter.operation(HttpMethod.GET, "/v1/models")).isNull();
		assertThat(this.adapter.operation(HttpMethod.POST, "/v1/files")).isNull();
	}

	@Test
	void readsTheRequestParameters() {
		LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8("""
				{"model":"gpt-4o-mini","stream":true,"max_completion_tokens":64,"temperature":0.2,"top_p":0.9,
				 "seed":42,"n":2,"messages":[{"role":"system","content":"Be brief."},
				 {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url","image_url":{"url":"x"}}]}]}
				"""));
		assertThat(request.decoded()).isTrue();
		assertThat(request.model()).isEqualTo("gpt-4o-mini");
		assertThat(request.stream()).isTrue();
		assertThat(request.usageRequested()).isFalse();
		assertThat(request.maxTokens()).isEqualTo(64);
		assertThat(request.temperature()).isEqualTo(0.2);
		assertThat(request.topP()).isEqualTo(0.9);
		assertThat(request.seed()).isEqualTo(42);
		assertThat(request.choices()).isEqualTo(2);
		assertThat(request.inputText()).isEqualTo("Be brief.\nHi\n");
		assertThat(request.inputMessages()).isEqualTo(2);
	}

	@Test
	void readsPromptsAndInputsAfterMessagesAndSkipsWhatCarriesNoText() {
		LlmRequest request = this.adapter.readRequest(Operation.TEXT_COMPLETION, utf8("""
				{"input":["a",[1,2],{"text":"b"}],"prompt":"p","messages":[7,{"content":null},{"content":"m"}],
				 "max_tokens":16,"stream_options":{"include_usage":true}}
				"""));
		assertThat(request.inputText()).isEqualTo("m\np\na\nb\n");
		assertThat(request.inputMessages()).isEqualTo(3);
		assertThat(request.maxTokens()).isEqualTo(16);
		assertThat(request.usageRequested()).isTrue();
		assertThat(request.stream()).isFalse();
	}

	@Test
	void ofARequestMemberGivenTwiceTheLastCounts() {
		LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8("""
				{"model":"first","model":"second","stream":true,"stream":"yes","messages":[{"content":"old"}],
				 "messages":[{"content":"a","content":"b"}],"stream_options":{"include_usage":true},
				 "stream_options":{"include_usage":false}}
				"""));
		assertThat(request.model()).isEqualTo("second");
		assertThat(request.stream()).isFalse();
		assertThat(request.usageRequested()).isFalse();
		assertThat(request.inputText()).isEqualTo("b\n");
		assertThat(request.inputMessages()).isEqualTo(1);
	}

	@Test
	void parametersOfTheWrongTypeOrOutOfRangeAreAbsentNotAnError() {
		// A tree read of these threw (a double or a huge integer read as a long) instead of counting
		// the field as absent.
		LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8("""
				{"model":5,"max_completion_tokens":1.5,"max_tokens":99999999999999999999999,"seed":-3.0,
				 "n":4294967296,"temperature":"hot","top_p":1,"messages":{"content":"not a list"}}
				"""));
		assertThat(request.decoded()).isTrue();
		assertThat(request.model()).isNull();
		assertThat(request.maxTokens()).isNull();
		assertThat(request.seed()).isEqualTo(-3);
		assertThat(request.choices()).isNull();
		assertThat(request.temperature()).isNull();
		assertThat(request.topP()).isEqualTo(1.0);
		assertThat(request.inputMessages()).isZero();
		assertThat(request.inputText()).isEmpty();
		assertThat(this.adapter.readRequest(Operation.CHAT, utf8("{\"max_completion_tokens\":1e30,\"max_tokens\":8}"))
			.maxTokens()).as("falls back to max_tokens").isEqualTo(8);
	}

	@Test
	void aBodyWithContentAfterItsObjectOrNotAnObjectIsUndecoded() {
		for (String body : new String[] { "{\"model\":\"m\"} trailing", "[{\"model\":\"m\"}]", "\"m\"",
				"{\"model\":\"m\"", "{\"messages\":[{\"content\":\"x\"}" }) {
			LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8(body));
			assertThat(request.decoded()).as(body).isFalse();
			assertThat(this.adapter.withStreamUsage(request, utf8(body))).as(body).isNull();
		}
	}

	@Test
	void capsThePromptTextAtWholeContents() {
		String large = "x".repeat((1 << 20) - 2);
		LlmRequest request = this.adapter.readRequest(Operation.CHAT,
				utf8("{\"messages\":[{\"content\":\"" + large + "\"},{\"content\":\"yz\"},{\"content\":\"dropped\"}]}"));
		// The second content starts under the cap and is kept up to it; the third starts at it.
		assertThat(request.inputText()).hasSize(1 << 20).endsWith("x\ny");
		assertThat(request.inputMessages()).isEqualTo(3);
	}

	@Test
	void aBodyThatIsNotJsonIsUndecodedNotAnError() {
		LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8("model=gpt-4o&stream=true"));
		assertThat(request.decoded()).isFalse();
		assertThat(request.model()).isNull();
		assertThat(this.adapter.withStreamUsage(request, utf8("model=gpt-4o"))).isNull();
	}

	@Test
	void asksForStreamUsageByInsertingOneFieldAndTouchingNothingElse() {
		String body = "  {\"model\":\"m\",\"temperature\":1.0E0,\"stream\":true,\"messages\":[]}";
		LlmRequest request = this.adapter.readRequest(Operation.CHAT, utf8(body));
		byte[] rewritten = this.adapter.withStreamUsage(request, utf8(body));
		assertThat(new String(rewritten, StandardCharsets.UTF_8)).isEqualTo(
				"  {\"stream_options\":{\"include_usage\":true},\"model\":\"m\",\"temperature\":1.0E0,\"stream\":true,\"messages\":[]}");
	}

	@Test
	void completesExistingStreamOptions() {
		String body = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":false}}";
		byte[] rewritten = this.adapter.withStreamUsage(this.adapter.readRequest(Operation.CHAT, utf8(body)),
				utf8(body));
		JsonNode options = this.json.readTree(rewritten).get("stream_options");
		assertThat(options.get("include_usage").booleanValue()).isTrue();
		assertThat(options.get("continuous_usage_stats").booleanValue()).isFalse();
	}

	@Test
	void leavesStreamOptionsThatAreNotAnObjectAlone() {
		String body = "{\"model\":\"m\",\"stream\":true,\"stream_options\":true}";
		assertThat(this.adapter.withStreamUsage(this.adapter.readRequest(Operation.CHAT, utf8(body)), utf8(body)))
			.isNull();
	}

	@Test
	void leavesRequestsAloneThatNeedNoUsageSwitch() {
		for (String body : new String[] { "{\"model\":\"m\",\"stream\":false}", "{\"model\":\"m\"}",
				"{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}" }) {
			assertThat(this.adapter.withStreamUsage(this.adapter.readRequest(Operation.CHAT, utf8(body)), utf8(body)))
				.as(body)
				.isNull();
		}
	}

	@Test
	void readsAStreamAndKeepsTheInjectedUsageChunkFromTheClient() {
		LlmRequest request = this.adapter.readRequest(Operation.CHAT,
				utf8("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[]}"));
		LlmResponse response = new LlmResponse("gpt-4o", estimator);
		StreamHandler handler = this.adapter.streamHandler(request, response, true);
		assertThat(handler.onFrame(frame(
				"{\"id\":\"c1\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}], \"usage\" : null}")))
			.isEqualTo(FrameEdit.removing(", \"usage\" : null"));
		assertThat(response.firstContentNanos()).isZero();
		assertThat(handler.onFrame(frame(
				"{\"usage\":null,\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}")))
			.isEqualTo(FrameEdit.removing("\"usage\":null,"));
		assertThat(response.firstContentNanos()).isPositive();
		assertThat(handler.onFrame(frame("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")))
			.isEqualTo(FrameEdit.KEEP);
		assertThat(handler.onFrame(frame("""
				{"id":"c1","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27,
				 "prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":3}}}
				"""))).isEqualTo(FrameEdit.DROP);
		assertThat(handler.onFrame(frame("[DONE]"))).isEqualTo(FrameEdit.KEEP);
		assertThat(response.responseModel()).isEqualTo("gpt-4o-2024-08-06");
		assertThat(response.responseId()).isEqualTo("c1");
		assertThat(response.finishReasons()).containsExactly("stop");
		assertThat(response.usage()).isEqualTo(new TokenUsage(20, 7, 8, 0, 3));
		assertThat(response.isCompleted()).isTrue();
		assertThat(response.errorType()).isNull();
	}

	@Test
	void passesTheUsageChunkWhenTheClientAskedForIt() {
		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), response, false);
		assertThat(handler.onFrame(frame("{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}")))
			.isEqualTo(FrameEdit.KEEP);
		assertThat(handler.onFrame(frame("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":null}")))
			.as("a client that asked for usage gets the null usage members too")
			.isEqualTo(FrameEdit.KEEP);
		assertThat(response.usage()).isEqualTo(TokenUsage.of(1, 2));
	}

	@Test
	void recordsMidStreamErrorsAndUnreadableChunksAsFacts() {
		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), response, false);
		assertThat(handler.onFrame(frame("{\"error\":{\"message\":\"overloaded\",\"code\":503}}"))).isEqualTo(FrameEdit.KEEP);
		assertThat(response.errorType()).isEqualTo("503");

		LlmResponse garbled = new LlmResponse("m", estimator);
		StreamHandler other = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), garbled, false);
		assertThat(other.onFrame(frame("{not json"))).isEqualTo(FrameEdit.KEEP);
		assertThat(garbled.errorType()).isEqualTo("invalid_response");
	}

	@Test
	void readsToolCallsLegacyTextAndReasoningFromStreamChunks() {
		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), response, false);
		handler.onFrame(frame("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}"));
		assertThat(response.firstContentNanos()).as("a role-only delta is no content").isZero();
		handler.onFrame(frame("""
				{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function",
				 "function":{"name":"lookup","arguments":""}}]}}],"model":"m-1","id":"c9"}
				"""));
		assertThat(response.firstContentNanos()).as("a tool call is content").isPositive();
		handler.onFrame(frame("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\"}}],\"model\":\"later\"}"));
		handler.onFrame(frame("{\"choices\":[{\"index\":0,\"text\":\" legacy\",\"finish_reason\":\"length\"}]}"));
		assertThat(response.responseModel()).as("the first model reported wins").isEqualTo("m-1");
		assertThat(response.responseId()).isEqualTo("c9");
		assertThat(response.finishReasons()).containsExactly("length");
		assertThat(response.estimatedOutputTokens()).as("every text, in order")
			.isEqualTo(estimator.count("m", "lookupthink legacy"));
		assertThat(response.errorType()).isNull();
	}

	@Test
	void ofAMemberGivenTwiceTheLastCountsAndGarbledCountsAreAbsent() {
		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), response, true);
		assertThat(handler.onFrame(frame("""
				{"choices":[{"delta":{"content":"dropped"}}],"choices":[],"error":{"code":500},"error":null,
				 "usage":{"prompt_tokens":1e30,"completion_tokens":3.0,"prompt_tokens_details":{"cached_tokens":2.5},
				 "completion_tokens_details":{"reasoning_tokens":99999999999999999999}}}
				"""))).as("the usage-only chunk the gateway asked for").isEqualTo(FrameEdit.DROP);
		handler.onFrame(frame("""
				{"choices":[{"delta":{"content":"a","tool_calls":[{"function":{"name":"f"},"function":{"name":"g"}}],
				 "tool_calls":[{"function":{"name":"h","arguments":"{}"}}]}}]}
				"""));
		assertThat(response.errorType()).isNull();
		assertThat(response.usage()).isEqualTo(TokenUsage.of(0, 3));
		assertThat(response.estimatedOutputTokens()).isEqualTo(estimator.count("m", "ah{}"));

		LlmResponse failed = new LlmResponse("m", estimator);
		this.adapter.streamHandler(this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")),
				failed, false)
			.onFrame(frame("{\"error\":{\"code\":503.0,\"message\":\"busy\"}}"));
		assertThat(failed.errorType()).isEqualTo("503");
	}

	@Test
	void anErrorMemberWinsOverChoicesReadBeforeIt() {
		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), response, false);
		handler.onFrame(frame(
				"{\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"error\":{\"code\":\"429\"}}"));
		assertThat(response.errorType()).isEqualTo("429");
		assertThat(response.finishReasons()).isEmpty();
		assertThat(response.firstContentNanos()).isZero();
		for (String chunk : List.of("[1,2]", "\"text\"", "{\"choices\":[]} {}", "{\"choices\":[{\"delta\":")) {
			LlmResponse bad = new LlmResponse("m", estimator);
			StreamHandler other = this.adapter.streamHandler(
					this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), bad, false);
			assertThat(other.onFrame(frame(chunk))).isEqualTo(FrameEdit.KEEP);
			assertThat(bad.errorType()).as(chunk).isEqualTo("invalid_response");
		}
		LlmResponse odd = new LlmResponse("m", estimator);
		StreamHandler lenient = this.adapter.streamHandler(
				this.adapter.readRequest(Operation.CHAT, utf8("{\"model\":\"m\",\"stream\":true}")), odd, false);
		lenient.onFrame(frame("{\"error\":null,\"model\":7,\"choices\":[\"x\",{\"delta\":null}],\"usage\":{\"prompt_tokens\":\"3\",\"completion_tokens\":4.0}}"));
		assertThat(odd.errorType()).as("members of the wrong type count as absent").isNull();
		assertThat(odd.responseModel()).isNull();
		assertThat(odd.usage()).isEqualTo(TokenUsage.of(0, 4));
	}

	@Test
	void readsAWholeResponseWithToolCalls() {
		LlmResponse response = new LlmResponse("gpt-4o", estimator);
		byte[] body = utf8("""
				{"id":"chatcmpl-1","model":"gpt-4o-2024-08-06","choices":[{"index":0,"finish_reason":"tool_calls",
				 "message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function",
				 "function":{"name":"lookup","arguments":"{\\"q\\":\\"x\\"}"}}]}}],
				 "usage":{"prompt_tokens":50,"completion_tokens":12}}
				""");
		this.adapter.readResponse(null, body, body.length, 200, response);
		assertThat(response.finishReasons()).containsExactly("tool_calls");
		assertThat(response.usage()).isEqualTo(TokenUsage.of(50, 12));
		assertThat(response.estimatedOutputTokens()).isEqualTo(estimator.count("gpt-4o", "lookup{\"q\":\"x\"}"));
		assertThat(response.firstContentNanos()).as("a whole body has no first chunk").isZero();
		assertThat(response.isCompleted()).isTrue();
	}

	@Test
	void readsAnEmbeddingsBodyWithoutItsVectors() {
		StringBuilder vector = new StringBuilder("[0.5");
		for (int i = 1; i < 3072; i++) {
			vector.append(",-0.0123456789");
		}
		byte[] body = utf8("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":"
				+ vector + "]}],\"model\":\"text-embedding-3-large\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}");
		LlmResponse response = new LlmResponse("text-embedding-3-large", estimator);
		this.adapter.readResponse(null, body, body.length, 200, response);
		assertThat(response.responseModel()).isEqualTo("text-embedding-3-large");
		assertThat(response.usage()).isEqualTo(TokenUsage.of(8, 0));
		assertThat(response.errorType()).isNull();
		assertThat(response.isCompleted()).isTrue();
	}

	@Test
	void aGarbledSuccessIsAnInvalidResponseButAGarbledErrorIsJustAnError() {
		LlmResponse ok = new LlmResponse("m", estimator);
		this.adapter.readResponse(null, utf8("<html>"), 6, 200, ok);
		assertThat(ok.errorType()).isEqualTo("invalid_response");
		assertThat(ok.isOutputKnown()).isFalse();
		LlmResponse failed = new LlmResponse("m", estimator);
		this.adapter.readResponse(null, utf8("<html>"), 6, 502, failed);
		assertThat(failed.errorType()).isNull();
	}

	@Test
	void aChunkWithMalformedUtf8IsStillReadAsText() {
		// A server that split a character across two chunks: its first byte ends this one.
		byte[] chunk = utf8("data: {\"id\":\"c1\",\"model\":\"m-2025\",\"choices\":[{\"index\":0,"
				+ "\"delta\":{\"content\":\"caf\uFFFF\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n");
		int split = indexOf(chunk, "\uFFFF".getBytes(StandardCharsets.UTF_8));
		byte[] malformed = new byte[chunk.length - 2];
		System.arraycopy(chunk, 0, malformed, 0, split);
		malformed[split] = (byte) 0xC3;
		System.arraycopy(chunk, split + 3, malformed, split + 1, chunk.length - split - 3);
		List<Frame> frames = new ArrayList<>();
		new SseDecoder(1 << 20).feed(ByteBuffer.wrap(malformed), frames::add);

		LlmResponse response = new LlmResponse("m", estimator);
		StreamHandler handler = this.adapter.streamHandler(null, response, false);
		assertThat(handler.onFrame(frames.get(0))).isEqualTo(FrameEdit.KEEP);
		assertThat(response.errorType()).isNull();
		assertThat(response.responseModel()).isEqualTo("m-2025");
		assertThat(response.responseId()).isEqualTo("c1");
		assertThat(response.usage()).isEqualTo(TokenUsage.of(3, 2));
	}

	private static int indexOf(byte[] bytes, byte[] part) {
		for (int i = 0; i + part.length <= bytes.length; i++) {
			if (java.util.Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
				return i;
			}
		}
		throw new IllegalArgumentException("not found");
	}

	private static Frame frame(String data) {
		return new Frame(null, data.strip(), 0);
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}
