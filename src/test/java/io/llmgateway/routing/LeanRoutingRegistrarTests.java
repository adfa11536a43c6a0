package io.llmgateway.routing;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;

import static org.assertj.core.api.Assertions.assertThat;

class LeanRoutingRegistrarTests {

	@Test
	void takesThePlaceOfSpringCloudGatewaysRoutingFilter() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		beans.registerBeanDefinition("routingFilter", new RootBeanDefinition(NettyRoutingFilter.class));

		new LeanRoutingRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).containsExactly("routingFilter");
		assertThat(beans.getBeanDefinition("routingFilter").getBeanClassName())
			.isEqualTo(LeanRoutingFilter.class.getName());
	}

	@Test
	void registersNothingWhenTheRoutingFilterIsSwitchedOff() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();

		new LeanRoutingRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).isEmpty();
	}

}
