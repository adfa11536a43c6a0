package io.llmgateway.observation;

import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ThreadLocalAccessor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;

/**
 * The thread-local accessor of the current {@link Observation}, made cheap for the case that
 * dominates a reactive proxy: setting the observation that is already current.
 *
 * <p>With {@code spring.reactor.context-propagation: auto}, every {@code contextWrite} and
 * {@code tap} operator restores thread locals from the Reactor context on each signal it passes
 * on. One signal of a proxied call crosses several such operators in one call stack, and all of
 * them hold the same server observation. Micrometer's accessor opens a fresh scope for each one:
 * the tracing handler makes the span current again and refills the MDC, then undoes it all on the
 * way out. In a JFR profile of the gateway under load that ceremony took about a quarter of the
 * CPU, roughly three quarters of it for observations that were already current.
 *
 * <p>This accessor skips that case: when the observation to set is already the current one, the
 * thread already carries its span, scope and MDC, so nothing is opened and nothing is closed.
 * Every other case (another observation, or none) goes to the wrapped accessor unchanged.
 * Skipping is safe because {@code ContextSnapshot} scopes nest: the value handed back to
 * {@link #restore(Observation)} is the one that was current when the value was set, so "the
 * previous observation is the current one" holds exactly when the set was skipped.
 */
public final class ReentrantObservationThreadLocalAccessor implements ThreadLocalAccessor<Observation> {

	private final ThreadLocalAccessor<Observation> delegate;

	/**
	 * @param delegate the accessor that really opens and closes observation scopes
	 */
	public ReentrantObservationThreadLocalAccessor(ThreadLocalAccessor<Observation> delegate) {
		this.delegate = delegate;
	}

	/**
	 * Wraps the observation accessor registered in the given registry, once.
	 * @param registry the registry Reactor reads thread-local accessors from, usually
	 * {@link ContextRegistry#getInstance()}
	 * @return whether an accessor was wrapped (false when there is none, or it is wrapped already)
	 */
	@SuppressWarnings("unchecked")
	public static boolean install(ContextRegistry registry) {
		for (ThreadLocalAccessor<?> accessor : registry.getThreadLocalAccessors()) {
			if (ObservationThreadLocalAccessor.KEY.equals(accessor.key())) {
				if (accessor instanceof ReentrantObservationThreadLocalAccessor) {
					return false;
				}
				registry.registerThreadLocalAccessor(
						new ReentrantObservationThreadLocalAccessor((ThreadLocalAccessor<Observation>) accessor));
				return true;
			}
		}
		return false;
	}

	@Override
	public Object key() {
		return this.delegate.key();
	}

	@Override
	public Observation getValue() {
		return this.delegate.getValue();
	}

	@Override
	public void setValue(Observation value) {
		if (value != this.delegate.getValue()) {
			this.delegate.setValue(value);
		}
	}

	@Override
	public void setValue() {
		this.delegate.setValue();
	}

	@Override
	public void restore(Observation previousValue) {
		if (previousValue != this.delegate.getValue()) {
			this.delegate.restore(previousValue);
		}
	}

	@Override
	public void restore() {
		this.delegate.restore();
	}

	@Override
	@Deprecated
	public void reset() {
		this.delegate.reset();
	}

}
