package io.llmgateway.config;

import java.util.List;

import io.micrometer.tracing.exporter.SpanFilter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.SpanExporters;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

class SpanExportConfigurationTests {

	private final InMemorySpanExporter exported = InMemorySpanExporter.create();

	private final ApplicationContextRunner contexts = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SpanExportConfiguration.class,
				OpenTelemetryTracingAutoConfiguration.class, OpenTelemetrySdkAutoConfiguration.class))
		.withPropertyValues("management.tracing.sampling.probability=1.0")
		.withBean(SpanExporters.class, () -> SpanExporters.of(this.exported));

	@Test
	void spansReachTheExporterAsTheSdkFinishedThem() {
		this.contexts.run(context -> {
			assertThat(context).hasSingleBean(BatchSpanProcessor.class);
			SpanData span = exportOneSpan(context);
			assertThat(span.getName()).isEqualTo("chat gpt-4o-mini");
			assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(12L);
			// Not Micrometer's mutable copy: the SDK's own span data, attributes built once.
			assertThat(span.getClass().getName()).doesNotContain("OtelFinishedSpan");
		});
	}

	@Test
	void aSpanFilterStillSeesAndChangesEverySpan() {
		this.contexts.withBean(SpanFilter.class, () -> span -> span.setName("filtered " + span.getName()))
			.run(context -> assertThat(exportOneSpan(context).getName()).isEqualTo("filtered chat gpt-4o-mini"));
	}

	@Test
	void exportSettingsStillApply() {
		this.contexts.withPropertyValues("management.opentelemetry.tracing.export.max-batch-size=7")
			.run(context -> assertThat(context.getBean(BatchSpanProcessor.class).toString())
				.contains("maxExportBatchSize=7"));
	}

	@Test
	void startsWithoutBootsTracingAutoConfigurationToo() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SpanExportConfiguration.class))
			.withBean(io.opentelemetry.sdk.trace.export.SpanExporter.class, () -> this.exported)
			.run(context -> assertThat(context).hasNotFailed().hasSingleBean(BatchSpanProcessor.class));
	}

	@Test
	void theExporterIsUsedDirectlyOnlyWhenNothingNeedsToSeeSpans() {
		assertThat(SpanExportConfiguration.exporter(List.of(this.exported), List.of(), List.of(), List.of()))
			.isSameAs(this.exported);
		assertThat(SpanExportConfiguration.exporter(List.of(this.exported), List.of(), List.of(),
				List.of(span -> span)))
			.isNotSameAs(this.exported);
	}

	private SpanData exportOneSpan(ApplicationContext context) {
		SdkTracerProvider provider = context.getBean(SdkTracerProvider.class);
		Span span = provider.get("test").spanBuilder("chat gpt-4o-mini").startSpan();
		span.setAttribute("gen_ai.usage.input_tokens", 12L);
		span.end();
		provider.forceFlush().join(10, java.util.concurrent.TimeUnit.SECONDS);
		List<SpanData> items = this.exported.getFinishedSpanItems();
		assertThat(items).hasSize(1);
		return items.get(0);
	}

}
