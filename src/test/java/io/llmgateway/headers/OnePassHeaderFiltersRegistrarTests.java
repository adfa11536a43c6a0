package io.llmgateway.headers;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.cloud.gateway.filter.headers.ForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveXForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.XForwardedHeadersFilter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which of Spring Cloud Gateway's header filter beans the registrar replaces, for each set its
 * conditions can leave.
 */
class OnePassHeaderFiltersRegistrarTests {

	final OnePassHeaderFiltersRegistrar registrar = new OnePassHeaderFiltersRegistrar();

	@Test
	void withoutTrustedProxiesTheForwardingRulesMoveIntoTheOnePassFilter() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerBeanDefinition("removeHopByHopHeadersFilter", new RootBeanDefinition(RemoveHopByHopHeadersFilter.class));
		beans.registerBeanDefinition("removeForwardedHeadersFilter", new RootBeanDefinition(RemoveForwardedHeadersFilter.class));
		beans.registerBeanDefinition("removeXForwardedHeadersFilter", new RootBeanDefinition(RemoveXForwardedHeadersFilter.class));

		this.registrar.postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).containsExactlyInAnyOrder("removeHopByHopHeadersFilter",
				"responseHopByHopHeadersFilter");
		OnePassRequestHeadersFilter onePass = beans.getBean("removeHopByHopHeadersFilter",
				OnePassRequestHeadersFilter.class);
		assertThat(onePass.removesForwarded()).isTrue();
		assertThat(onePass.removesXForwarded()).isTrue();
		assertThat(beans.getBean("responseHopByHopHeadersFilter")).isInstanceOf(ResponseHopByHopHeadersFilter.class);
	}

	@Test
	void withTrustedProxiesTheForwardingFiltersStayAsTheyAre() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerBeanDefinition("removeHopByHopHeadersFilter", new RootBeanDefinition(RemoveHopByHopHeadersFilter.class));
		beans.registerBeanDefinition("forwardedHeadersFilter", new RootBeanDefinition(ForwardedHeadersFilter.class,
				() -> new ForwardedHeadersFilter(".*")));
		beans.registerBeanDefinition("xForwardedHeadersFilter", new RootBeanDefinition(XForwardedHeadersFilter.class,
				() -> new XForwardedHeadersFilter(".*")));

		this.registrar.postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).contains("forwardedHeadersFilter", "xForwardedHeadersFilter");
		OnePassRequestHeadersFilter onePass = beans.getBean("removeHopByHopHeadersFilter",
				OnePassRequestHeadersFilter.class);
		assertThat(onePass.removesForwarded()).isFalse();
		assertThat(onePass.removesXForwarded()).isFalse();
	}

	@Test
	void beansNamedOtherwiseAreLeftAlone() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerBeanDefinition("removeForwardedHeadersFilter", new RootBeanDefinition(RemoveForwardedHeadersFilter.class));

		this.registrar.postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).containsExactly("removeForwardedHeadersFilter");
	}

}
