// A go-control-plane xDS server for Protean's tests: an independent implementation of the xDS
// server side (state of the world, ADS and per-type services), serving whatever resources the
// test writes, of any type url (Envoy's and generic_proxy's parsed; others, such as Aeraki's,
// passed through unparsed: a resource of a type not linked in comes wrapped in a
// discovery.v3.Resource that gives its name, and is served as the bytes it came as). The test
// writes a snapshot file: a serialized envoy.service.discovery.v3
// DiscoveryResponse whose resources (mixed types) become the linear caches' contents, one cache
// per type url. Every request the proxy sends that carries an error_detail is printed as
//
//	NACK <type url> <version> <message>
//
// and "ready" once the server listens. Usage: xds-server -addr 127.0.0.1:PORT -snapshot FILE
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	genericv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/generic_proxy/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
)

func name(m proto.Message) (string, error) {
	switch r := m.(type) {
	case *listenerv3.Listener:
		return r.GetName(), nil
	case *clusterv3.Cluster:
		return r.GetName(), nil
	case *endpointv3.ClusterLoadAssignment:
		return r.GetClusterName(), nil
	case *genericv3.RouteConfiguration:
		return r.GetName(), nil
	}
	return "", fmt.Errorf("no name for %T", m)
}

var typeURLs = []string{
	"type.googleapis.com/envoy.config.listener.v3.Listener",
	"type.googleapis.com/envoy.config.cluster.v3.Cluster",
	"type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
	"type.googleapis.com/envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration",
	"type.googleapis.com/aeraki.meta_protocol_proxy.config.route.v1alpha.RouteConfiguration",
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	snapshot := flag.String("snapshot", "", "snapshot file (a serialized DiscoveryResponse)")
	flag.Parse()

	caches := map[string]cache.Cache{}
	linear := map[string]*cache.LinearCache{}
	for _, u := range typeURLs {
		c := cache.NewLinearCache(u)
		caches[u] = c
		linear[u] = c
	}
	mux := &cache.MuxCache{
		Classify:      func(r *cache.Request) string { return r.GetTypeUrl() },
		ClassifyDelta: func(r *cache.DeltaRequest) string { return r.GetTypeUrl() },
		Caches:        caches,
	}
	callbacks := server.CallbackFuncs{
		StreamRequestFunc: func(_ int64, r *discovery.DiscoveryRequest) error {
			if r.GetErrorDetail() != nil {
				fmt.Printf("NACK %s %s %s\n", r.GetTypeUrl(), r.GetVersionInfo(), r.GetErrorDetail().GetMessage())
			}
			return nil
		},
		StreamDeltaRequestFunc: func(_ int64, r *discovery.DeltaDiscoveryRequest) error {
			if r.GetErrorDetail() != nil {
				fmt.Printf("NACK %s delta %s\n", r.GetTypeUrl(), r.GetErrorDetail().GetMessage())
			}
			return nil
		},
	}
	srv := server.NewServer(context.Background(), mux, callbacks)
	g := grpc.NewServer()
	discovery.RegisterAggregatedDiscoveryServiceServer(g, srv)
	clusterservice.RegisterClusterDiscoveryServiceServer(g, srv)
	endpointservice.RegisterEndpointDiscoveryServiceServer(g, srv)
	listenerservice.RegisterListenerDiscoveryServiceServer(g, srv)
	routeservice.RegisterRouteDiscoveryServiceServer(g, srv)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go watch(*snapshot, linear)
	fmt.Printf("ready %s\n", l.Addr())
	if err := g.Serve(l); err != nil {
		log.Fatal(err)
	}
}

// watch loads the snapshot file whenever it changes (the test replaces it with a rename).
func watch(file string, linear map[string]*cache.LinearCache) {
	var last time.Time
	for {
		if st, err := os.Stat(file); err == nil && st.ModTime() != last {
			last = st.ModTime()
			if err := load(file, linear); err != nil {
				fmt.Printf("ERROR %v\n", err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func load(file string, linear map[string]*cache.LinearCache) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var r discovery.DiscoveryResponse
	if err := proto.Unmarshal(b, &r); err != nil {
		return err
	}
	byType := map[string]map[string]types.Resource{}
	for _, u := range typeURLs {
		byType[u] = map[string]types.Resource{}
	}
	for _, a := range r.GetResources() {
		n, inner := "", a
		if a.MessageIs(&discovery.Resource{}) {
			var res discovery.Resource
			if err := a.UnmarshalTo(&res); err != nil {
				return err
			}
			n, inner = res.GetName(), res.GetResource()
		}
		var m proto.Message
		if known, err := inner.UnmarshalNew(); err == nil {
			m = known
			if n == "" {
				if n, err = name(m); err != nil {
					return err
				}
			}
		} else if n != "" {
			// Not linked in: served as the bytes it came as (the cache sends them under its type url).
			raw := &emptypb.Empty{}
			raw.ProtoReflect().SetUnknown(protoreflect.RawFields(inner.GetValue()))
			m = raw
		} else {
			return fmt.Errorf("%s: %v (wrap it in a Resource that names it)", inner.GetTypeUrl(), err)
		}
		if byType[inner.GetTypeUrl()] == nil {
			return fmt.Errorf("type %s is not served", inner.GetTypeUrl())
		}
		byType[inner.GetTypeUrl()][n] = m
	}
	for u, rs := range byType {
		linear[u].SetResources(rs)
	}
	fmt.Printf("loaded %s\n", r.GetVersionInfo())
	return nil
}
