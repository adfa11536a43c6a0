package io.llmgateway.observation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.MeterObservationHandler;
import io.micrometer.observation.Observation;

import io.llmgateway.pricing.Cost;
import io.llmgateway.usage.TokenUsage;

/**
 * Turns a finished LLM call into the meters of the telemetry contract. Only bounded values
 * become tags: models pass through {@link BoundedLabelValues}, attribution labels are bounded
 * where they are resolved, and everything else stays on the span.
 */
public class LlmMeterObservationHandler implements MeterObservationHandler<LlmObservationContext> {

	static final String DURATION = "gen_ai.client.operation.duration";

	static final String TOKEN_USAGE = "gen_ai.client.token.usage";

	static final String TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";

	static final String TIME_PER_OUTPUT_TOKEN = "gen_ai.server.time_per_output_token";

	static final String TOKENS = "llm_gateway.tokens";

	static final String COST = "llm_gateway.cost.usd";

	static final String UNPRICED_CALLS = "llm_gateway.unpriced.calls";

	static final String ACTIVE_STREAMS = "llm_gateway.active_streams";

	static final String USAGE_INJECTIONS = "llm_gateway.usage_injections";

	/** 0.01 s doubling up to 327.68 s. */
	private static final Duration[] DURATION_BUCKETS = durationBuckets();

	/** 1 token, times four, up to 67,108,864. */
	private static final double[] TOKEN_BUCKETS = tokenBuckets();

	private final MeterRegistry registry;

	private final BoundedLabelValues requestModels;

	private final BoundedLabelValues responseModels;

	private final ConcurrentMap<Tags, AtomicInteger> activeStreams = new ConcurrentHashMap<>();

	public LlmMeterObservationHandler(MeterRegistry registry, int maxModelLabelValues) {
		this.registry = registry;
		this.requestModels = new BoundedLabelValues(maxModelLabelValues);
		this.responseModels = new BoundedLabelValues(maxModelLabelValues);
	}

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof LlmObservationContext;
	}

	@Override
	public void onEvent(Observation.Event event, LlmObservationContext context) {
		if (LlmObservationDocumentation.Events.STREAM_OPENED.getName().equals(event.getName())) {
			activeStreams(context).incrementAndGet();
		}
	}

	@Override
	public void onStop(LlmObservationContext context) {
		if (context.isStreamOpened()) {
			activeStreams(context).decrementAndGet();
		}
		Tags common = commonTags(context);
		String errorType = context.errorType();
		Timer.builder(DURATION)
			.description("Duration of LLM calls, from request received to last response byte sent")
			.tags(common)
			.tag("error_type", (errorType != null) ? errorType : "")
			.serviceLevelObjectives(DURATION_BUCKETS)
			.register(this.registry)
			.record(context.durationNanos(), TimeUnit.NANOSECONDS);
		TokenUsage usage = context.usage();
		if (usage != null) {
			String source = context.usageSource().value();
			recordTokenUsage(common, "input", source, usage.input());
			countTokens(common, "input", source, usage.input(), true);
			if (context.isOutputTokensKnown()) {
				recordTokenUsage(common, "output", source, usage.output());
				countTokens(common, "output", source, usage.output(), true);
			}
			countTokens(common, "cache_read_input", source, usage.cacheReadInput(), false);
			countTokens(common, "cache_write_input", source, usage.cacheWriteInput(), false);
			countTokens(common, "reasoning_output", source, usage.reasoningOutput(), false);
			recordCost(common, context.cost());
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			Timer.builder(TIME_TO_FIRST_CHUNK)
				.description("Time from request received to the first content chunk sent to the client")
				.tags(common)
				.serviceLevelObjectives(DURATION_BUCKETS)
				.register(this.registry)
				.record(ttfc, TimeUnit.NANOSECONDS);
			if (usage != null && context.isOutputTokensKnown() && usage.output() >= 2) {
				long perToken = (context.durationNanos() - ttfc) / (usage.output() - 1);
				Timer.builder(TIME_PER_OUTPUT_TOKEN)
					.description("Time per output token after the first chunk of a stream")
					.tags(common)
					.serviceLevelObjectives(DURATION_BUCKETS)
					.register(this.registry)
					.record(perToken, TimeUnit.NANOSECONDS);
			}
		}
		if (context.isUsageInjected()) {
			Counter.builder(USAGE_INJECTIONS)
				.description("Streaming calls where the gateway asked the provider for usage the client had not asked for")
				.tags(common)
				.register(this.registry)
				.increment();
		}
	}

	private void recordCost(Tags common, Cost cost) {
		if (cost == null) {
			Counter.builder(UNPRICED_CALLS)
				.description("LLM calls whose model has no price: their cost is not counted")
				.tags(common)
				.register(this.registry)
				.increment();
			return;
		}
		countCost(common, "input", cost.input(), true);
		countCost(common, "output", cost.output(), true);
		countCost(common, "cache_read_input", cost.cacheReadInput(), false);
		countCost(common, "cache_write_input", cost.cacheWriteInput(), false);
		countCost(common, "reasoning_output", cost.reasoningOutput(), false);
	}

	private void recordTokenUsage(Tags common, String type, String source, long tokens) {
		DistributionSummary.builder(TOKEN_USAGE)
			.description("Tokens per LLM call")
			.tags(common)
			.tag("gen_ai.token.type", type)
			.tag("usage_source", source)
			.serviceLevelObjectives(TOKEN_BUCKETS)
			.register(this.registry)
			.record(tokens);
	}

	private void countTokens(Tags common, String type, String source, long tokens, boolean always) {
		count(TOKENS, "Tokens of LLM calls, by type", common.and("token_type", type, "usage_source", source), tokens,
				always);
	}

	private void countCost(Tags common, String type, double usd, boolean always) {
		count(COST, "Cost of LLM calls in US dollars, from the price catalog", common.and("cost_type", type), usd,
				always);
	}

	/** Adds to a counter; a zero amount creates the series only where it is always expected. */
	private void count(String name, String description, Tags tags, double amount, boolean always) {
		if (amount <= 0 && !always) {
			return;
		}
		Counter.builder(name).description(description).tags(tags).register(this.registry).increment(amount);
	}

	private Tags commonTags(LlmObservationContext context) {
		List<Tag> tags = new ArrayList<>(6 + context.attribution().size());
		tags.add(Tag.of("gen_ai.operation.name", context.operation().value()));
		tags.add(Tag.of("gen_ai.provider.name", context.providerName()));
		tags.add(Tag.of("gen_ai.request.model",
				this.requestModels.bound(DefaultLlmObservationConvention.orUnknown(context.request().model()))));
		tags.add(Tag.of("gen_ai.response.model", this.responseModels
			.bound(DefaultLlmObservationConvention.orUnknown(context.response().responseModel()))));
		tags.add(Tag.of("route", context.route()));
		tags.add(Tag.of("stream", Boolean.toString(context.request().stream())));
		for (Map.Entry<String, String> label : context.attribution().entrySet()) {
			tags.add(Tag.of(label.getKey(), label.getValue()));
		}
		return Tags.of(tags);
	}

	private AtomicInteger activeStreams(LlmObservationContext context) {
		Tags tags = Tags.of("route", context.route(), "gen_ai.provider.name", context.providerName());
		return this.activeStreams.computeIfAbsent(tags, key -> {
			AtomicInteger open = new AtomicInteger();
			Gauge.builder(ACTIVE_STREAMS, open, AtomicInteger::get)
				.description("SSE and NDJSON streams open now")
				.tags(key)
				.strongReference(true)
				.register(this.registry);
			return open;
		});
	}

	private static Duration[] durationBuckets() {
		Duration[] buckets = new Duration[16];
		for (int k = 0; k < buckets.length; k++) {
			buckets[k] = Duration.ofMillis(10L << k);
		}
		return buckets;
	}

	private static double[] tokenBuckets() {
		double[] buckets = new double[14];
		for (int k = 0; k < buckets.length; k++) {
			buckets[k] = Math.pow(4, k);
		}
		return buckets;
	}

}
