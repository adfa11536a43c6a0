package io.llmgateway.observation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
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

	private final ConcurrentMap<SeriesKey, SeriesMeters> series = new ConcurrentHashMap<>();

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
		SeriesMeters meters = seriesOf(context);
		String errorType = context.errorType();
		meters.duration((errorType != null) ? errorType : "")
			.record(context.durationNanos(), TimeUnit.NANOSECONDS);
		TokenUsage usage = context.usage();
		if (usage != null) {
			String source = context.usageSource().value();
			meters.tokenUsage("input", source).record(usage.input());
			meters.tokens("input", source).increment(usage.input());
			if (context.isOutputTokensKnown()) {
				meters.tokenUsage("output", source).record(usage.output());
				meters.tokens("output", source).increment(usage.output());
			}
			countIfAny(() -> meters.tokens("cache_read_input", source), usage.cacheReadInput());
			countIfAny(() -> meters.tokens("cache_write_input", source), usage.cacheWriteInput());
			countIfAny(() -> meters.tokens("reasoning_output", source), usage.reasoningOutput());
			recordCost(meters, context.cost());
		}
		long ttfc = context.timeToFirstChunkNanos();
		if (context.isStreamOpened() && ttfc >= 0) {
			meters.timeToFirstChunk().record(ttfc, TimeUnit.NANOSECONDS);
			if (usage != null && context.isOutputTokensKnown() && usage.output() >= 2) {
				long perToken = (context.durationNanos() - ttfc) / (usage.output() - 1);
				meters.timePerOutputToken().record(perToken, TimeUnit.NANOSECONDS);
			}
		}
		if (context.isUsageInjected()) {
			meters.usageInjections().increment();
		}
	}

	private static void recordCost(SeriesMeters meters, Cost cost) {
		if (cost == null) {
			meters.unpricedCalls().increment();
			return;
		}
		meters.cost("input").increment(cost.input());
		meters.cost("output").increment(cost.output());
		countIfAny(() -> meters.cost("cache_read_input"), cost.cacheReadInput());
		countIfAny(() -> meters.cost("cache_write_input"), cost.cacheWriteInput());
		countIfAny(() -> meters.cost("reasoning_output"), cost.reasoningOutput());
	}

	/**
	 * Adds to a counter that is not always expected; a zero amount does not create the series.
	 * (The supplier keeps the lookup, and so the series, from happening for zero.)
	 */
	private static void countIfAny(Supplier<Counter> counter, double amount) {
		if (amount > 0) {
			counter.get().increment(amount);
		}
	}

	private SeriesMeters seriesOf(LlmObservationContext context) {
		SeriesKey key = new SeriesKey(context.operation().value(), context.providerName(),
				this.requestModels.bound(DefaultLlmObservationConvention.orUnknown(context.request().model())),
				this.responseModels.bound(DefaultLlmObservationConvention.orUnknown(context.response().responseModel())),
				context.route(), context.request().stream(), context.attribution());
		SeriesMeters meters = this.series.get(key);
		return (meters != null) ? meters : this.series.computeIfAbsent(key, SeriesMeters::new);
	}

	/** The common tags of a call; their values are bounded before they get here. */
	private record SeriesKey(String operation, String provider, String requestModel, String responseModel,
			String route, boolean stream, Map<String, String> attribution) {

		Tags tags() {
			List<Tag> tags = new ArrayList<>(6 + this.attribution.size());
			tags.add(Tag.of("gen_ai.operation.name", this.operation));
			tags.add(Tag.of("gen_ai.provider.name", this.provider));
			tags.add(Tag.of("gen_ai.request.model", this.requestModel));
			tags.add(Tag.of("gen_ai.response.model", this.responseModel));
			tags.add(Tag.of("route", this.route));
			tags.add(Tag.of("stream", Boolean.toString(this.stream)));
			for (Map.Entry<String, String> label : this.attribution.entrySet()) {
				tags.add(Tag.of(label.getKey(), label.getValue()));
			}
			return Tags.of(tags);
		}

	}

	/**
	 * The meters of one combination of common tags, each registered on first use and then held:
	 * a registry lookup builds and sorts tags and an id for every meter of every call, which
	 * showed up as a few percent of the gateway's CPU. The cache holds no more series than the
	 * registry (every key part is bounded). A meter removed from the registry by hand would stay
	 * held here and no longer be published; the gateway never removes one.
	 */
	private final class SeriesMeters {

		private final Tags common;

		private final Map<String, Meter> meters = new ConcurrentHashMap<>();

		SeriesMeters(SeriesKey key) {
			this.common = key.tags();
		}

		Timer duration(String errorType) {
			return held("duration|" + errorType, () -> Timer.builder(DURATION)
				.description("Duration of LLM calls, from request received to last response byte sent")
				.tags(this.common)
				.tag("error_type", errorType)
				.serviceLevelObjectives(DURATION_BUCKETS)
				.register(registry));
		}

		DistributionSummary tokenUsage(String type, String source) {
			return held("usage|" + type + "|" + source, () -> DistributionSummary.builder(TOKEN_USAGE)
				.description("Tokens per LLM call")
				.tags(this.common)
				.tag("gen_ai.token.type", type)
				.tag("usage_source", source)
				.serviceLevelObjectives(TOKEN_BUCKETS)
				.register(registry));
		}

		Counter tokens(String type, String source) {
			return held("tokens|" + type + "|" + source, () -> Counter.builder(TOKENS)
				.description("Tokens of LLM calls, by type")
				.tags(this.common)
				.tags("token_type", type, "usage_source", source)
				.register(registry));
		}

		Counter cost(String type) {
			return held("cost|" + type, () -> Counter.builder(COST)
				.description("Cost of LLM calls in US dollars, from the price catalog")
				.tags(this.common)
				.tag("cost_type", type)
				.register(registry));
		}

		Timer timeToFirstChunk() {
			return timer(TIME_TO_FIRST_CHUNK, "Time from request received to the first content chunk sent to the client");
		}

		Timer timePerOutputToken() {
			return timer(TIME_PER_OUTPUT_TOKEN, "Time per output token after the first chunk of a stream");
		}

		Counter usageInjections() {
			return counter(USAGE_INJECTIONS,
					"Streaming calls where the gateway asked the provider for usage the client had not asked for");
		}

		Counter unpricedCalls() {
			return counter(UNPRICED_CALLS, "LLM calls whose model has no price: their cost is not counted");
		}

		/** A timer of the series with no tag of its own. */
		private Timer timer(String name, String description) {
			return held(name, () -> Timer.builder(name)
				.description(description)
				.tags(this.common)
				.serviceLevelObjectives(DURATION_BUCKETS)
				.register(registry));
		}

		/** A counter of the series with no tag of its own. */
		private Counter counter(String name, String description) {
			return held(name, () -> Counter.builder(name).description(description).tags(this.common).register(registry));
		}

		@SuppressWarnings("unchecked")
		private <M extends Meter> M held(String key, Supplier<M> register) {
			Meter meter = this.meters.get(key);
			return (M) ((meter != null) ? meter : this.meters.computeIfAbsent(key, k -> register.get()));
		}

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
