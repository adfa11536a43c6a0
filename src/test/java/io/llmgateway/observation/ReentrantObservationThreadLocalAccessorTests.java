package io.llmgateway.observation;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.util.context.Context;
import reactor.util.context.ReactorContextAccessor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives the accessor the way Reactor's automatic context propagation does: nested
 * {@code setThreadLocalsFrom(reactorContext, key)} scopes, closed in reverse order.
 */
class ReentrantObservationThreadLocalAccessorTests {

	private final List<String> scopeEvents = new ArrayList<>();

	private final ObservationRegistry observations = ObservationRegistry.create();

	private final ContextRegistry contextRegistry = new ContextRegistry();

	private ContextSnapshotFactory snapshots;

	@BeforeEach
	void setUp() {
		this.observations.observationConfig().observationHandler(new ScopeRecorder());
		this.contextRegistry.registerContextAccessor(new ReactorContextAccessor());
		this.contextRegistry.registerThreadLocalAccessor(new ObservationThreadLocalAccessor(this.observations));
		this.snapshots = ContextSnapshotFactory.builder().contextRegistry(this.contextRegistry).build();
	}

	@AfterEach
	void noScopeLeftOnTheThread() {
		assertThat(this.observations.getCurrentObservationScope()).isNull();
	}

	@Test
	void installsOnceInPlaceOfTheObservationAccessor() {
		assertThat(ReentrantObservationThreadLocalAccessor.install(this.contextRegistry)).isTrue();
		assertThat(ReentrantObservationThreadLocalAccessor.install(this.contextRegistry)).isFalse();
		assertThat(this.contextRegistry.getThreadLocalAccessors())
			.filteredOn(accessor -> ObservationThreadLocalAccessor.KEY.equals(accessor.key()))
			.singleElement()
			.isInstanceOf(ReentrantObservationThreadLocalAccessor.class);
	}

	@Test
	void installsNothingWithoutAnObservationAccessor() {
		assertThat(ReentrantObservationThreadLocalAccessor.install(new ContextRegistry())).isFalse();
	}

	@Test
	void restoringTheCurrentObservationAgainOpensNoSecondScope() {
		ReentrantObservationThreadLocalAccessor.install(this.contextRegistry);
		Observation server = Observation.start("server", this.observations);
		Context reactorContext = Context.of(ObservationThreadLocalAccessor.KEY, server);
		try (ContextSnapshot.Scope outer = restore(reactorContext)) {
			assertThat(this.observations.getCurrentObservation()).isSameAs(server);
			try (ContextSnapshot.Scope inner = restore(reactorContext)) {
				try (ContextSnapshot.Scope innermost = restore(reactorContext)) {
					assertThat(this.observations.getCurrentObservation()).isSameAs(server);
				}
				// The skipped restores must leave the outer scope open.
				assertThat(this.observations.getCurrentObservation()).isSameAs(server);
			}
			assertThat(this.observations.getCurrentObservation()).isSameAs(server);
		}
		assertThat(this.observations.getCurrentObservation()).isNull();
		assertThat(this.scopeEvents).containsExactly("open server", "close server");
		server.stop();
	}

	@Test
	void withoutTheAccessorEveryRestoreOpensAScope() {
		Observation server = Observation.start("server", this.observations);
		Context reactorContext = Context.of(ObservationThreadLocalAccessor.KEY, server);
		try (ContextSnapshot.Scope outer = restore(reactorContext)) {
			try (ContextSnapshot.Scope inner = restore(reactorContext)) {
				assertThat(this.observations.getCurrentObservation()).isSameAs(server);
			}
		}
		assertThat(this.scopeEvents).containsExactly("open server", "open server", "close server", "close server");
		server.stop();
	}

	@Test
	void anotherObservationIsStillRestoredAndUndone() {
		ReentrantObservationThreadLocalAccessor.install(this.contextRegistry);
		Observation server = Observation.start("server", this.observations);
		Observation call = Observation.createNotStarted("call", this.observations).parentObservation(server).start();
		try (ContextSnapshot.Scope outer = restore(Context.of(ObservationThreadLocalAccessor.KEY, server))) {
			try (ContextSnapshot.Scope inner = restore(Context.of(ObservationThreadLocalAccessor.KEY, call))) {
				assertThat(this.observations.getCurrentObservation()).isSameAs(call);
				try (ContextSnapshot.Scope again = restore(Context.of(ObservationThreadLocalAccessor.KEY, call))) {
					assertThat(this.observations.getCurrentObservation()).isSameAs(call);
				}
				assertThat(this.observations.getCurrentObservation()).isSameAs(call);
			}
			assertThat(this.observations.getCurrentObservation()).isSameAs(server);
		}
		assertThat(this.observations.getCurrentObservation()).isNull();
		assertThat(this.scopeEvents).containsExactly("open server", "open call", "close call", "close server");
		call.stop();
		server.stop();
	}

	@Test
	void aContextWithoutTheObservationLeavesTheThreadAlone() {
		ReentrantObservationThreadLocalAccessor.install(this.contextRegistry);
		Observation server = Observation.start("server", this.observations);
		try (ContextSnapshot.Scope outer = restore(Context.of(ObservationThreadLocalAccessor.KEY, server))) {
			try (ContextSnapshot.Scope unrelated = restore(Context.of("other", "value"))) {
				assertThat(this.observations.getCurrentObservation()).isSameAs(server);
			}
			assertThat(this.observations.getCurrentObservation()).isSameAs(server);
		}
		assertThat(this.scopeEvents).containsExactly("open server", "close server");
		server.stop();
	}

	private ContextSnapshot.Scope restore(Context reactorContext) {
		return this.snapshots.setThreadLocalsFrom(reactorContext, ObservationThreadLocalAccessor.KEY);
	}

	private final class ScopeRecorder implements ObservationHandler<Observation.Context> {

		@Override
		public void onScopeOpened(Observation.Context context) {
			scopeEvents.add("open " + context.getName());
		}

		@Override
		public void onScopeClosed(Observation.Context context) {
			scopeEvents.add("close " + context.getName());
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return true;
		}

	}

}
