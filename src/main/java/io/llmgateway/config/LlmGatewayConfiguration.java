package io.llmgateway.config;

import java.util.List;

import io.micrometer.context.ContextRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.attribution.AttributionResolver;
import io.llmgateway.filter.LlmObservationFilter;
import io.llmgateway.filter.LlmRequestHeadersFilter;
import io.llmgateway.filter.UpstreamFailureFilter;
import io.llmgateway.filter.UpstreamResendFilter;
import io.llmgateway.headers.OnePassHeaderFiltersRegistrar;
import io.llmgateway.netty.ClientMetricsRecorder;
import io.llmgateway.netty.HeadWithBodyHandler;
import io.llmgateway.netty.ServerMetricsRecorder;
import io.llmgateway.observation.DefaultLlmObservationConvention;
import io.llmgateway.observation.LlmAccessLogObservationHandler;
import io.llmgateway.observation.LlmMeterObservationHandler;
import io.llmgateway.observation.LlmObservationConvention;
import io.llmgateway.observation.LlmTracingObservationHandler;
import io.llmgateway.observation.ReentrantObservationThreadLocalAccessor;
import io.llmgateway.pricing.PriceCatalog;
import io.llmgateway.provider.ProviderAdapter;
import io.llmgateway.provider.ProviderRegistry;
import io.llmgateway.provider.openai.OpenAiAdapter;
import io.llmgateway.routefilter.LeanStripPrefixRegistrar;
import io.llmgateway.routing.LeanRoutingRegistrar;
import io.llmgateway.tracing.ServerSpanTracingObservationHandler;
import io.llmgateway.usage.TokenEstimator;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Wires the LLM-aware gateway: provider adapters, the global filter and the observation
 * handlers that turn each call into meters, a span and an access log line.
 */
@AutoConfiguration(afterName = {
		"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
		"org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
		"org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration" })
@EnableConfigurationProperties(LlmGatewayProperties.class)
public class LlmGatewayConfiguration {

	/**
	 * Order of the gateway's tracing handler: ahead of Boot's generic sender handler, which would
	 * otherwise claim the LLM context too.
	 */
	public static final int LLM_TRACING_HANDLER_ORDER = 1999;

	/**
	 * Reactor Netty server metrics (connections, bytes, time), with the URI tag fixed so that
	 * request paths never become label values. Recorded through {@link ServerMetricsRecorder}:
	 * Reactor Netty's own meters without its per-request Observations.
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.netty-metrics.enabled", matchIfMissing = true)
	NettyServerCustomizer nettyServerMetrics() {
		ServerMetricsRecorder recorder = ServerMetricsRecorder.micrometer();
		return server -> server.metrics(true, () -> recorder, uri -> "/");
	}

	/**
	 * Reactor Netty client metrics towards the providers (connect time, bytes, errors), with the
	 * same bounded URI tag, recorded through {@link ClientMetricsRecorder}. Pool metrics are
	 * switched on by {@code spring.cloud.gateway.server.webflux.httpclient.pool.metrics}.
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.netty-metrics.enabled", matchIfMissing = true)
	HttpClientCustomizer nettyClientMetrics() {
		ClientMetricsRecorder recorder = ClientMetricsRecorder.micrometer();
		return client -> client.metrics(true, () -> recorder, uri -> "/");
	}

	/**
	 * No Nagle delay towards providers: a request's headers and body go out as separate writes,
	 * and with Nagle on the body waits for the ACK of the headers, which the upstream delays (up
	 * to 40 ms on Linux).
	 */
	@Bean
	HttpClientCustomizer noDelayTowardsProviders() {
		return client -> client.option(ChannelOption.TCP_NODELAY, true);
	}

	/**
	 * A message's head and the start of its body in one send, towards clients and towards
	 * providers (see {@link HeadWithBodyHandler}).
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.head-with-body", matchIfMissing = true)
	NettyServerCustomizer headWithBodyTowardsClients() {
		return server -> server.doOnChannelInit(HeadWithBodyHandler.serverConfigurer());
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.head-with-body", matchIfMissing = true)
	HttpClientCustomizer headWithBodyTowardsProviders() {
		return client -> client.doOnChannelInit(HeadWithBodyHandler.providerConfigurer());
	}

	/**
	 * Cheaper automatic context propagation: restoring the observation that is already current
	 * opens no nested scope (see {@link ReentrantObservationThreadLocalAccessor}).
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.reentrant-observation-scopes", matchIfMissing = true)
	static SmartInitializingSingleton reentrantObservationScopes() {
		return () -> ReentrantObservationThreadLocalAccessor.install(ContextRegistry.getInstance());
	}

	/**
	 * Spring Cloud Gateway strips hop-by-hop, {@code Forwarded} and {@code X-Forwarded-*}
	 * request headers with three filters, each copying every header; one pass does the same.
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.one-pass-request-headers", matchIfMissing = true)
	static OnePassHeaderFiltersRegistrar onePassHeaderFilters() {
		return new OnePassHeaderFiltersRegistrar();
	}

	/**
	 * Spring Cloud Gateway's {@code StripPrefix} rebuilds the request with a copy of every header
	 * to change its path; the same rule on a request that only takes another path.
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.lean-strip-prefix", matchIfMissing = true)
	static LeanStripPrefixRegistrar leanStripPrefix() {
		return new LeanStripPrefixRegistrar();
	}

	/**
	 * Spring Cloud Gateway times the wait for the response headers with a task on a shared
	 * scheduler per call; the same wait timed on the upstream connection's event loop.
	 */
	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.lean-routing", matchIfMissing = true)
	static LeanRoutingRegistrar leanRouting() {
		return new LeanRoutingRegistrar();
	}

	@Bean
	TokenEstimator tokenEstimator() {
		return new TokenEstimator();
	}

	@Bean
	OpenAiAdapter openAiAdapter(JsonMapper jsonMapper) {
		return new OpenAiAdapter(jsonMapper);
	}

	@Bean
	ProviderRegistry providerRegistry(List<ProviderAdapter> adapters) {
		return new ProviderRegistry(adapters);
	}

	@Bean
	AttributionResolver attributionResolver(LlmGatewayProperties properties, JsonMapper jsonMapper) {
		return new AttributionResolver(properties.getAttribution(), jsonMapper);
	}

	@Bean
	PriceCatalog priceCatalog(LlmGatewayProperties properties) {
		return new PriceCatalog(properties.getPrices());
	}

	@Bean
	@ConditionalOnMissingBean
	LlmObservationConvention llmObservationConvention() {
		return new DefaultLlmObservationConvention();
	}

	@Bean
	LlmObservationFilter llmObservationFilter(ProviderRegistry providers, LlmGatewayProperties properties,
			ObjectProvider<ObservationRegistry> observations, LlmObservationConvention convention,
			AttributionResolver attribution, TokenEstimator estimator, PriceCatalog prices, JsonMapper jsonMapper) {
		return new LlmObservationFilter(providers, properties, observations.getIfAvailable(() -> ObservationRegistry.NOOP),
				convention, attribution, estimator, prices, jsonMapper);
	}

	/** The LLM call's header edits, made on the copy the request-header filters already hold. */
	@Bean
	LlmRequestHeadersFilter llmRequestHeadersFilter() {
		return new LlmRequestHeadersFilter();
	}

	@Bean
	UpstreamFailureFilter upstreamFailureFilter(JsonMapper jsonMapper) {
		return new UpstreamFailureFilter(jsonMapper);
	}

	@Bean
	UpstreamResendFilter upstreamResendFilter() {
		return new UpstreamResendFilter();
	}

	@Bean
	@Order(Ordered.HIGHEST_PRECEDENCE)
	@ConditionalOnBean(MeterRegistry.class)
	LlmMeterObservationHandler llmMeterObservationHandler(MeterRegistry meterRegistry,
			LlmGatewayProperties properties) {
		return new LlmMeterObservationHandler(meterRegistry, properties.getMaxModelLabelValues());
	}

	@Bean
	@Order(LLM_TRACING_HANDLER_ORDER)
	@ConditionalOnBean({ Tracer.class, Propagator.class })
	LlmTracingObservationHandler llmTracingObservationHandler(Tracer tracer, Propagator propagator) {
		return new LlmTracingObservationHandler(tracer, propagator);
	}

	/**
	 * The server span's handler, ahead of Boot's: the same span, its attributes set without a new
	 * attribute key per tag and call.
	 */
	@Bean
	@Order(MicrometerTracingAutoConfiguration.RECEIVER_TRACING_OBSERVATION_HANDLER_ORDER - 1)
	@ConditionalOnBean({ Tracer.class, Propagator.class })
	ServerSpanTracingObservationHandler serverSpanTracingObservationHandler(Tracer tracer, Propagator propagator) {
		return new ServerSpanTracingObservationHandler(tracer, propagator);
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "llm-gateway.access-log.enabled", matchIfMissing = true)
	LlmAccessLogObservationHandler llmAccessLogObservationHandler() {
		return new LlmAccessLogObservationHandler();
	}

}
