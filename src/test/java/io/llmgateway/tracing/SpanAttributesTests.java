package io.llmgateway.tracing;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.micrometer.common.KeyValues;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpanAttributesTests {

	private final InMemorySpanExporter exported = InMemorySpanExporter.create();

	private final SdkTracerProvider provider = SdkTracerProvider.builder()
		.addSpanProcessor(SimpleSpanProcessor.create(this.exported))
		.build();

	private final OtelTracer tracer = new OtelTracer(this.provider.get("test"), new OtelCurrentTraceContext(),
			event -> {
			});

	@AfterEach
	void close() {
		this.provider.close();
	}

	@Test
	void everyTypeReachesTheSpanAsItsOwnType() {
		SpanData span = export(attributes -> attributes.put("text", "value")
			.put("count", 12L)
			.put("ratio", 0.5)
			.put("flag", true)
			.put("reasons", List.of("stop", "length")));
		assertThat(span.getAttributes().get(AttributeKey.stringKey("text"))).isEqualTo("value");
		assertThat(span.getAttributes().get(AttributeKey.longKey("count"))).isEqualTo(12L);
		assertThat(span.getAttributes().get(AttributeKey.doubleKey("ratio"))).isEqualTo(0.5);
		assertThat(span.getAttributes().get(AttributeKey.booleanKey("flag"))).isTrue();
		assertThat(span.getAttributes().get(AttributeKey.stringArrayKey("reasons"))).containsExactly("stop", "length");
		assertThat(span.getAttributes().size()).isEqualTo(5);
	}

	@Test
	void keyValuesAreSetAsMicrometerSetsThem() {
		SpanData span = export(attributes -> attributes.putAll(KeyValues.of("method", "POST", "status", "200"))
			.putAll(KeyValues.of("status", "201", "http.url", "/v1/chat/completions")));
		assertThat(span.getAttributes().asMap()).hasSize(3);
		// A key set twice ends with the last value, as in Micrometer's merge of low and high.
		assertThat(span.getAttributes().get(AttributeKey.stringKey("status"))).isEqualTo("201");
		assertThat(span.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);

		SpanData failed = export(attributes -> attributes.putAll(KeyValues.of("error", "boom")));
		assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
		assertThat(failed.getStatus().getDescription()).isEqualTo("boom");
	}

	@Test
	void spansShareOneKeyPerName() {
		SpanData first = export(attributes -> attributes.put("gen_ai.provider.name", "openai"));
		SpanData second = export(attributes -> attributes.put("gen_ai.provider.name", "openai"));
		// The same instance, so its name is encoded for export once, not per span.
		assertThat(first.getAttributes().asMap().keySet().iterator().next())
			.isSameAs(second.getAttributes().asMap().keySet().iterator().next())
			.isSameAs(SpanAttributes.stringKey("gen_ai.provider.name"));
	}

	@Test
	void theCacheStopsGrowingAtItsBound() {
		SpanAttributes.KeyCache<String> keys = new SpanAttributes.KeyCache<>(AttributeKey::stringKey, 2);
		AttributeKey<String> first = keys.get("first");
		assertThat(keys.get("first")).isSameAs(first);
		keys.get("second");
		AttributeKey<String> beyond = keys.get("beyond");
		assertThat(beyond.getKey()).isEqualTo("beyond");
		assertThat(keys.get("beyond")).isNotSameAs(beyond).isEqualTo(beyond);
		assertThat(keys.get("first")).isSameAs(first);
	}

	@Test
	void aSpanOfAnotherTracerIsTaggedThroughMicrometer() {
		// Another bridge's span (Brave's, say): only Micrometer's API can tag it.
		List<String> calls = new ArrayList<>();
		Span span = (Span) Proxy.newProxyInstance(Span.class.getClassLoader(), new Class<?>[] { Span.class },
				(proxy, method, args) -> {
					calls.add(method.getName() + Arrays.deepToString(args).replaceAll("java.lang.RuntimeException: ", ""));
					return method.getReturnType().isInstance(proxy) ? proxy : null;
				});
		SpanAttributes.of(span)
			.put("text", "value")
			.put("count", 1L)
			.put("flag", true)
			.put("reasons", List.of("stop"))
			.putAll(KeyValues.of("error", "boom", "method", "POST"), "method");
		assertThat(calls).containsExactly("tag[text, value]", "tag[count, 1]", "tag[flag, true]",
				"tagOfStrings[reasons, [stop]]", "error[boom]");
	}

	@Test
	void aSkippedKeyIsLeftOut() {
		SpanData span = export(attributes -> attributes.putAll(KeyValues.of("stream", "true", "route", "llm"), "stream")
			.put("stream", true));
		assertThat(span.getAttributes().asMap()).hasSize(2);
		assertThat(span.getAttributes().get(AttributeKey.booleanKey("stream"))).isTrue();
		assertThat(span.getAttributes().get(AttributeKey.stringKey("stream"))).isNull();
	}

	private SpanData export(java.util.function.Consumer<SpanAttributes> tagging) {
		this.exported.reset();
		Span span = this.tracer.nextSpan().name("call").start();
		tagging.accept(SpanAttributes.of(span));
		span.end();
		List<SpanData> items = this.exported.getFinishedSpanItems();
		assertThat(items).hasSize(1);
		return items.get(0);
	}

}
