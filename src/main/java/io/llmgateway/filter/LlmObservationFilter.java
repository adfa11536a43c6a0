package io.llmgateway.filter;

import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.util.context.ContextView;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.attribution.AttributionResolver;
import io.llmgateway.config.LlmGatewayProperties;
import io.llmgateway.observation.DefaultLlmObservationConvention;
import io.llmgateway.observation.LlmObservationContext;
import io.llmgateway.observation.LlmObservationConvention;
import io.llmgateway.observation.LlmObservationDocumentation;
import io.llmgateway.pricing.ModelPrice;
import io.llmgateway.pricing.PriceCatalog;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.provider.ProviderAdapter;
import io.llmgateway.provider.ProviderRegistry;
import io.llmgateway.usage.ResolvedUsage;
import io.llmgateway.usage.TokenEstimator;
import io.llmgateway.usage.UsageResolver;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * The gateway's LLM awareness, for routes whose metadata names an LLM API
 * ({@code llm.provider}); every other route is proxied untouched. For one LLM call it reads the
 * request body once, may ask the provider for stream usage, opens one observation, decorates the
 * response so its body is read on the way to the client, and stops the observation exactly once
 * when the last byte has gone (or the call failed or was abandoned).
 *
 * <p>It runs just before {@link NettyWriteResponseFilter}, so its response decorator is the one
 * that filter writes the upstream body through.
 */
public class LlmObservationFilter implements GlobalFilter, Ordered {

	/** Order of this filter: just before the filter that writes the upstream response. */
	public static final int ORDER = NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;

	private static final Log logger = LogFactory.getLog(LlmObservationFilter.class);

	private static final LlmObservationConvention DEFAULT_CONVENTION = new DefaultLlmObservationConvention();

	private final ProviderRegistry providers;

	private final LlmGatewayProperties properties;

	private final ObservationRegistry observations;

	private final LlmObservationConvention convention;

	private final AttributionResolver attribution;

	private final TokenEstimator estimator;

	private final UsageResolver usage;

	private final PriceCatalog prices;

	private final JsonMapper json;

	public LlmObservationFilter(ProviderRegistry providers, LlmGatewayProperties properties,
			ObservationRegistry observations, LlmObservationConvention convention, AttributionResolver attribution,
			TokenEstimator estimator, PriceCatalog prices, JsonMapper json) {
		this.providers = providers;
		this.properties = properties;
		this.observations = observations;
		this.convention = convention;
		this.attribution = attribution;
		this.estimator = estimator;
		this.usage = new UsageResolver(estimator);
		this.prices = prices;
		this.json = json;
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		RouteLlmSettings settings = (route != null) ? RouteLlmSettings.of(route) : null;
		if (settings == null) {
			return chain.filter(exchange);
		}
		ProviderAdapter adapter = this.providers.find(settings.provider());
		if (adapter == null) {
			logger.warn("Route '" + route.getId() + "' names unknown LLM provider '" + settings.provider()
					+ "' (known: " + this.providers.ids() + "); proxying it undecoded");
			return chain.filter(exchange);
		}
		ServerHttpRequest request = exchange.getRequest();
		Operation operation = adapter.operation(request.getMethod(), request.getPath().value());
		if (operation == null) {
			return chain.filter(exchange);
		}
		long start = System.nanoTime();
		Call call = new Call(exchange, chain, route, settings, adapter, operation, start);
		long maxBytes = this.properties.getMaxRequestBodySize().toBytes();
		if (request.getHeaders().getContentLength() > maxBytes) {
			return Mono.deferContextual(call::tooLarge);
		}
		return new WithRequestBody(request.getBody(), (int) Math.min(Integer.MAX_VALUE, maxBytes),
				request.getHeaders().getContentLength(), call);
	}

	/** One LLM call on its way through. */
	private final class Call implements WithRequestBody.Continuation {

		private final ServerWebExchange exchange;

		private final GatewayFilterChain chain;

		private final Route route;

		private final RouteLlmSettings settings;

		private final ProviderAdapter adapter;

		private final Operation operation;

		private final long start;

		private final AtomicBoolean finished = new AtomicBoolean();

		Call(ServerWebExchange exchange, GatewayFilterChain chain, Route route, RouteLlmSettings settings,
				ProviderAdapter adapter, Operation operation, long start) {
			this.exchange = exchange;
			this.chain = chain;
			this.route = route;
			this.settings = settings;
			this.adapter = adapter;
			this.operation = operation;
			this.start = start;
		}

		@Override
		public Mono<Void> withBody(byte[] body, ContextView reactorContext) {
			LlmRequest request = (body.length > 0) ? this.adapter.readRequest(this.operation, body)
					: LlmRequest.undecoded(this.operation);
			byte[] upstreamBody = body;
			boolean injected = false;
			if (injectionAllowed()) {
				byte[] rewritten = this.adapter.withStreamUsage(request, body);
				if (rewritten != null) {
					upstreamBody = rewritten;
					injected = true;
				}
			}
			LlmObservationContext context = newContext(request, injected, body.length);
			byte[] sent = upstreamBody;
			boolean usageInjected = injected;
			Observation observation = start(context,
					reactorContext.getOrDefault(ObservationThreadLocalAccessor.KEY, null));
			ServerHttpResponse original = this.exchange.getResponse();
			LlmResponseDecorator response = new LlmResponseDecorator(original, this.adapter, context, observation,
					limits(), () -> this.exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR));
			// The body is held in memory, so it can be read again: UpstreamResendFilter may send it
			// once more, as long as no route filter has put another body in its place.
			Flux<DataBuffer> replayableBody = (sent.length == 0) ? Flux.empty()
					: Flux.defer(() -> Flux.just(this.exchange.getResponse().bufferFactory().wrap(sent)));
			ServerWebExchange upstream = this.exchange.mutate()
				.request(upstreamRequest(replayableBody, sent.length))
				.response(response)
				.build();
			upstream.getAttributes()
				.put(LlmRequestHeadersFilter.EDITS_ATTR,
						new LlmRequestHeadersFilter.Edits(context.getCarrier(), usageInjected));
			upstream.getAttributes().put(UpstreamResendFilter.REPLAYABLE_BODY_ATTR, replayableBody);
			// The LLM observation is deliberately not written into the Reactor context: its span
			// reaches the provider through the carrier headers, and with automatic context
			// propagation (the opt-in `auto`) every signal crossing a contextWrite restores
			// thread locals (opens a scope, makes the span current, fills the MDC), the costliest
			// kind of work in the gateway's CPU profile. Under `auto`, logs of the upstream
			// exchange carry the server span of the same trace instead.
			return this.chain.filter(upstream)
				.onErrorResume(error -> failed(error, context))
				.doFinally(signal -> finish(signal, context, observation, response));
		}

		/** A body over the configured limit: refused, and counted. */
		@Override
		public Mono<Void> tooLarge(ContextView reactorContext) {
			LlmObservationContext context = newContext(LlmRequest.undecoded(this.operation), false,
					Math.max(0, this.exchange.getRequest().getHeaders().getContentLength()));
			Observation observation = start(context,
					reactorContext.getOrDefault(ObservationThreadLocalAccessor.KEY, null));
			return GatewayErrors.write(this.exchange, HttpStatus.CONTENT_TOO_LARGE, "request_too_large",
					"Request body is larger than the gateway's limit of "
							+ properties.getMaxRequestBodySize().toBytes() + " bytes",
					this.route.getId(), json)
				.doFinally(signal -> finish(signal, context, observation, null));
		}

		private boolean injectionAllowed() {
			return (this.settings.injectStreamUsage() != null) ? this.settings.injectStreamUsage()
					: properties.isInjectStreamUsage();
		}

		private LlmObservationContext newContext(LlmRequest request, boolean injected, long bytesIn) {
			ServerHttpRequest httpRequest = this.exchange.getRequest();
			String providerName = (this.settings.providerName() != null) ? this.settings.providerName()
					: this.adapter.providerName();
			LlmObservationContext context = new LlmObservationContext(this.route.getId(), providerName, request,
					new LlmResponse(request.model(), estimator), attribution.resolve(httpRequest.getHeaders()),
					this.start, injected);
			context.requestLine(httpRequest.getMethod().name(), httpRequest.getPath().value(),
					httpRequest.getHeaders().getFirst(HttpHeaders.USER_AGENT), bytesIn);
			return context;
		}

		private Observation start(LlmObservationContext context, Observation parent) {
			return LlmObservationDocumentation.LLM_CALL
				.observation(convention, DEFAULT_CONVENTION, () -> context, observations)
				.parentObservation(parent)
				.start();
		}

		private LlmResponseDecorator.BodyLimits limits() {
			return new LlmResponseDecorator.BodyLimits(
					(int) Math.min(Integer.MAX_VALUE, properties.getMaxResponseBodySize().toBytes()),
					(int) Math.min(Integer.MAX_VALUE, properties.getMaxFrameSize().toBytes()),
					properties.getStreamIdleTimeout());
		}

		/**
		 * The request with the gateway's body. Its length goes on the request itself, before the
		 * route filters, and only where it differs from what the client declared (a body the
		 * gateway edited, or one the client sent chunked): a route filter that wraps or replaces
		 * the body then sees the right length or sets its own. The other header edits go to
		 * {@link LlmRequestHeadersFilter}, on a copy of the headers that is made anyway.
		 */
		private ServerHttpRequest upstreamRequest(Flux<DataBuffer> body, int bodyLength) {
			ServerHttpRequest request = this.exchange.getRequest();
			long declared = request.getHeaders().getContentLength();
			boolean asDeclared = request.getHeaders().getFirst(HttpHeaders.TRANSFER_ENCODING) == null
					&& (declared == bodyLength || (bodyLength == 0 && declared < 0));
			if (!asDeclared) {
				request = request.mutate().headers(headers -> {
					headers.remove(HttpHeaders.TRANSFER_ENCODING);
					if (bodyLength > 0) {
						headers.setContentLength(bodyLength);
					}
					else {
						headers.remove(HttpHeaders.CONTENT_LENGTH);
					}
				}).build();
			}
			return new ServerHttpRequestDecorator(request) {
				@Override
				public Flux<DataBuffer> getBody() {
					return body;
				}
			};
		}

		private Mono<Void> failed(Throwable error, LlmObservationContext context) {
			String errorType = Failures.errorType(error);
			context.failure(errorType);
			return GatewayErrors.upstreamFailed(error, errorType, this.exchange, this.route.getId(), json);
		}

		private void finish(SignalType signal, LlmObservationContext context, Observation observation,
				LlmResponseDecorator response) {
			if (!this.finished.compareAndSet(false, true)) {
				return;
			}
			context.endNanos(System.nanoTime());
			if (signal == SignalType.CANCEL) {
				context.failure(Failures.CLIENT_CANCELLED);
			}
			if (response != null) {
				response.close();
			}
			HttpStatusCode status = this.exchange.getResponse().getStatusCode();
			if (status != null && (context.status() == 0 || context.hasFailure())) {
				context.status(status.value());
			}
			URI upstream = this.exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
			if (upstream != null) {
				int port = (upstream.getPort() > 0) ? upstream.getPort()
						: ("https".equalsIgnoreCase(upstream.getScheme()) ? 443 : 80);
				context.upstream(upstream.getScheme() + "://" + upstream.getRawAuthority() + upstream.getRawPath(),
						upstream.getHost(), port);
			}
			LlmRequest request = context.request();
			LlmResponse llmResponse = context.response();
			// Tokens are only estimated for calls the provider answered; a refused call used none.
			boolean answered = context.status() >= 200 && context.status() < 400;
			ResolvedUsage resolved = usage.resolve(llmResponse.usage(), request.model(),
					(answered && request.decoded()) ? request.inputText() : null, request.inputMessages(),
					llmResponse.isOutputKnown(), llmResponse::estimatedOutputTokens);
			if (resolved != null) {
				context.usage(resolved.usage(), resolved.source(), resolved.outputKnown());
				ModelPrice price = prices.find(llmResponse.responseModel(), request.model());
				if (price != null) {
					context.cost(PriceCatalog.cost(resolved.usage(), price));
				}
			}
			observation.stop();
		}

	}

}
