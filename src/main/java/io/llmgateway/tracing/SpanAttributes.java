package io.llmgateway.tracing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.otel.bridge.OtelSpan;
import io.opentelemetry.api.common.AttributeKey;

/**
 * Sets a span's attributes on the OpenTelemetry span itself, with one key instance per name and
 * type. Micrometer's bridge makes a new {@link AttributeKey} for every tag of every span, and the
 * OTLP exporter then encodes each new key's name to UTF-8 again; a key kept once carries its
 * encoded name with it. Spans of another tracer are tagged through Micrometer as before.
 */
public final class SpanAttributes {

	/** Distinct names kept per type; beyond it keys are made per call, as Micrometer does. */
	private static final int MAX_KEYS_PER_TYPE = 1024;

	private static final KeyCache<String> STRING_KEYS = new KeyCache<>(AttributeKey::stringKey, MAX_KEYS_PER_TYPE);

	private static final KeyCache<Long> LONG_KEYS = new KeyCache<>(AttributeKey::longKey, MAX_KEYS_PER_TYPE);

	private static final KeyCache<Double> DOUBLE_KEYS = new KeyCache<>(AttributeKey::doubleKey, MAX_KEYS_PER_TYPE);

	private static final KeyCache<Boolean> BOOLEAN_KEYS = new KeyCache<>(AttributeKey::booleanKey, MAX_KEYS_PER_TYPE);

	private static final KeyCache<List<String>> STRING_ARRAY_KEYS = new KeyCache<>(AttributeKey::stringArrayKey,
			MAX_KEYS_PER_TYPE);

	private final Span span;

	private final io.opentelemetry.api.trace.Span otel;

	private SpanAttributes(Span span) {
		this.span = span;
		this.otel = (span instanceof OtelSpan) ? OtelSpan.toOtel(span) : null;
	}

	/** The attributes of the given span. */
	public static SpanAttributes of(Span span) {
		return new SpanAttributes(span);
	}

	/**
	 * Every key value as a string attribute, as Micrometer's tracing handlers set them, an
	 * {@code error} key included (it marks the span failed).
	 */
	public SpanAttributes putAll(KeyValues values) {
		return putAll(values, null);
	}

	/**
	 * As {@link #putAll(KeyValues)}, leaving out one key (set otherwise by the caller).
	 * @param skipped the key left out, or {@code null}
	 */
	public SpanAttributes putAll(KeyValues values, String skipped) {
		for (KeyValue value : values) {
			if (value.getKey().equals(skipped)) {
				continue;
			}
			if ("ERROR".equalsIgnoreCase(value.getKey())) {
				this.span.error(new RuntimeException(value.getValue()));
			}
			else {
				put(value.getKey(), value.getValue());
			}
		}
		return this;
	}

	public SpanAttributes put(String key, String value) {
		if (!setOnOpenTelemetry(STRING_KEYS, key, value)) {
			this.span.tag(key, value);
		}
		return this;
	}

	public SpanAttributes put(String key, long value) {
		if (!setOnOpenTelemetry(LONG_KEYS, key, value)) {
			this.span.tag(key, value);
		}
		return this;
	}

	public SpanAttributes put(String key, double value) {
		if (!setOnOpenTelemetry(DOUBLE_KEYS, key, value)) {
			this.span.tag(key, value);
		}
		return this;
	}

	public SpanAttributes put(String key, boolean value) {
		if (!setOnOpenTelemetry(BOOLEAN_KEYS, key, value)) {
			this.span.tag(key, value);
		}
		return this;
	}

	public SpanAttributes put(String key, List<String> values) {
		if (!setOnOpenTelemetry(STRING_ARRAY_KEYS, key, values)) {
			this.span.tagOfStrings(key, values);
		}
		return this;
	}

	/** Sets the attribute on the OpenTelemetry span, if this is one; {@code false} otherwise. */
	private <T> boolean setOnOpenTelemetry(KeyCache<T> keys, String key, T value) {
		if (this.otel == null) {
			return false;
		}
		this.otel.setAttribute(keys.get(key), value);
		return true;
	}

	/** The string attribute key this class uses for a name. */
	public static AttributeKey<String> stringKey(String name) {
		return STRING_KEYS.get(name);
	}

	/** Keys of one type by name, bounded: names come from conventions and configuration. */
	static final class KeyCache<T> {

		private final Map<String, AttributeKey<T>> keys = new ConcurrentHashMap<>();

		private final Function<String, AttributeKey<T>> factory;

		private final int maxKeys;

		KeyCache(Function<String, AttributeKey<T>> factory, int maxKeys) {
			this.factory = factory;
			this.maxKeys = maxKeys;
		}

		AttributeKey<T> get(String name) {
			AttributeKey<T> key = this.keys.get(name);
			if (key != null) {
				return key;
			}
			key = this.factory.apply(name);
			if (this.keys.size() < this.maxKeys) {
				AttributeKey<T> raced = this.keys.putIfAbsent(name, key);
				return (raced != null) ? raced : key;
			}
			return key;
		}

	}

}
