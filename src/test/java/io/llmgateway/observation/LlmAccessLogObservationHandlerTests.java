package io.llmgateway.observation;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.pricing.Cost;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.usage.TokenEstimator;
import io.llmgateway.usage.TokenUsage;
import io.llmgateway.usage.UsageSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access-log line against the telemetry contract's field list: names, types, and nulls
 * where a value is not known (a field is never left out, so every line has the same shape).
 */
class LlmAccessLogObservationHandlerTests {

	static final JsonMapper json = JsonMapper.builder().build();

	final LlmAccessLogObservationHandler handler = new LlmAccessLogObservationHandler();

	static final String[] CONTRACT_FIELDS = { "timestamp", "trace_id", "span_id", "route", "method", "path", "status",
			"duration_ms", "upstream", "bytes_in", "bytes_out", "user_agent", "gen_ai.provider.name",
			"gen_ai.request.model", "gen_ai.response.model", "stream", "usage.input_tokens", "usage.output_tokens",
			"usage.cache_read_input_tokens", "usage.reasoning_output_tokens", "usage.source", "cost_usd", "ttfc_ms",
			"error_type" };

	@Test
	void aStreamedCallWithUsageAndCostHasEveryField() {
		LlmRequest request = new LlmRequest(Operation.CHAT, "gpt-4o-mini", true, true, null, null, null, null, null,
				"hi", 1, true);
		LlmResponse response = new LlmResponse("gpt-4o-mini", new TokenEstimator());
		response.responseModel("gpt-4o-mini-2024-07-18");
		Map<String, String> attribution = new LinkedHashMap<>();
		attribution.put("team", "search \"quoted\"\n");
		attribution.put("user", "u-1");
		LlmObservationContext context = new LlmObservationContext("openai", "openai", request, response, attribution,
				1_000_000L, true);
		context.requestLine("POST", "/v1/chat/completions", "OpenAI/Python 1.0", 321);
		context.status(200);
		context.streamOpened();
		response.firstContent(4_500_000L);
		context.addBytesOut(2048);
		context.upstream("https://api.openai.com/v1/chat/completions", "api.openai.com", 443);
		context.usage(new TokenUsage(120, 30, 100, 0, 12), UsageSource.PROVIDER, true);
		context.cost(new Cost(0.25, 0.5, 0, 1.0, 0));
		context.endNanos(251_000_000L);

		JsonNode line = json.readTree(this.handler.line(context));

		assertThat(line.propertyNames()).containsAll(java.util.List.of(CONTRACT_FIELDS)).contains("team", "user");
		assertThat(line.get("timestamp").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
		assertThat(line.get("trace_id").isNull()).isTrue();
		assertThat(line.get("route").asString()).isEqualTo("openai");
		assertThat(line.get("method").asString()).isEqualTo("POST");
		assertThat(line.get("path").asString()).isEqualTo("/v1/chat/completions");
		assertThat(line.get("status").isInt()).isTrue();
		assertThat(line.get("status").asInt()).isEqualTo(200);
		assertThat(line.get("duration_ms").asDouble()).isEqualTo(250.0);
		assertThat(line.get("upstream").asString()).isEqualTo("https://api.openai.com/v1/chat/completions");
		assertThat(line.get("bytes_in").asLong()).isEqualTo(321);
		assertThat(line.get("bytes_out").asLong()).isEqualTo(2048);
		assertThat(line.get("user_agent").asString()).isEqualTo("OpenAI/Python 1.0");
		assertThat(line.get("gen_ai.provider.name").asString()).isEqualTo("openai");
		assertThat(line.get("gen_ai.request.model").asString()).isEqualTo("gpt-4o-mini");
		assertThat(line.get("gen_ai.response.model").asString()).isEqualTo("gpt-4o-mini-2024-07-18");
		assertThat(line.get("stream").isBoolean()).isTrue();
		assertThat(line.get("stream").asBoolean()).isTrue();
		assertThat(line.get("usage.input_tokens").asLong()).isEqualTo(120);
		assertThat(line.get("usage.output_tokens").asLong()).isEqualTo(30);
		assertThat(line.get("usage.cache_read_input_tokens").asLong()).isEqualTo(100);
		assertThat(line.get("usage.reasoning_output_tokens").asLong()).isEqualTo(12);
		assertThat(line.get("usage.source").asString()).isEqualTo("provider");
		assertThat(line.get("cost_usd").asDouble()).isEqualTo(1.75);
		assertThat(line.get("ttfc_ms").asDouble()).isEqualTo(3.5);
		assertThat(line.get("error_type").isNull()).isTrue();
		assertThat(line.get("team").asString()).isEqualTo("search \"quoted\"\n");
		assertThat(line.get("user").asString()).isEqualTo("u-1");
	}

	@Test
	void aFailedUndecodedCallHasNullsWhereNothingIsKnown() {
		LlmRequest request = LlmRequest.undecoded(Operation.CHAT);
		LlmResponse response = new LlmResponse(null, new TokenEstimator());
		LlmObservationContext context = new LlmObservationContext("r", "openai", request, response, Map.of(), 0L,
				false);
		context.requestLine("POST", "/v1/chat/completions", null, 0);
		context.failure("upstream_reset");
		context.status(502);
		context.endNanos(1_000L);

		String text = this.handler.line(context);
		JsonNode line = json.readTree(text);

		assertThat(text).doesNotContain("\n");
		assertThat(line.propertyNames()).containsExactlyInAnyOrder(CONTRACT_FIELDS);
		for (String unknown : new String[] { "user_agent", "upstream", "gen_ai.request.model", "gen_ai.response.model",
				"usage.input_tokens", "usage.output_tokens", "usage.cache_read_input_tokens",
				"usage.reasoning_output_tokens", "usage.source", "cost_usd", "ttfc_ms" }) {
			assertThat(line.get(unknown).isNull()).as(unknown).isTrue();
		}
		assertThat(line.get("stream").asBoolean()).isFalse();
		assertThat(line.get("status").asInt()).isEqualTo(502);
		assertThat(line.get("error_type").asString()).isEqualTo("upstream_reset");
		assertThat(line.get("duration_ms").asDouble()).isEqualTo(0.001);
	}

	@Test
	void outputTokensThatAreNotKnownAreNullNotZero() {
		LlmRequest request = new LlmRequest(Operation.CHAT, "m", true, false, null, null, null, null, null, "hi", 1,
				true);
		LlmObservationContext context = new LlmObservationContext("r", "openai", request,
				new LlmResponse("m", new TokenEstimator()), Map.of(), 0L, false);
		context.requestLine("POST", "/v1/chat/completions", null, 10);
		context.usage(TokenUsage.of(5, 0), UsageSource.ESTIMATED, false);
		context.endNanos(1L);

		JsonNode line = json.readTree(this.handler.line(context));

		assertThat(line.get("usage.input_tokens").asLong()).isEqualTo(5);
		assertThat(line.get("usage.output_tokens").isNull()).isTrue();
		assertThat(line.get("usage.source").asString()).isEqualTo("estimated");
	}

}
