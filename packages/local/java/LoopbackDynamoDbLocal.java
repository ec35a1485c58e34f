/*
 * Starts Amazon's DynamoDB Local bound to one host (127.0.0.1 unless asked).
 *
 * The jar's own main class builds a Jetty Server(int port), which listens on
 * every interface, and has no option to change that; a proxy in front would
 * leave the jar itself reachable from the network. So this launcher lets the
 * jar build its server exactly as its main class would (same options, same
 * handler) and sets the host on the Jetty connector before it starts.
 *
 *   java -cp DynamoDBLocal.jar:<this class> LoopbackDynamoDbLocal --host 127.0.0.1 <DynamoDB Local options>
 *
 * packages/local/src/dynamodb/launcher.ts compiles it once (javac, cached by
 * the hash of this file) and runs it; see that file for why not `java File.java`.
 */
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDbLocal {
  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    List<String> jarArgs = new ArrayList<>(Arrays.asList(args));
    int hostAt = jarArgs.indexOf("--host");
    if (hostAt >= 0) {
      if (hostAt + 1 >= jarArgs.size()) fail("--host needs a value, e.g. --host 127.0.0.1");
      host = jarArgs.get(hostAt + 1);
      jarArgs.subList(hostAt, hostAt + 2).clear();
    }

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(jarArgs.toArray(new String[0]));
    Server jetty = jettyServerOf(proxy);
    int bound = 0;
    for (Connector connector : jetty.getConnectors()) {
      if (connector instanceof AbstractNetworkConnector network) {
        network.setHost(host);
        bound++;
      }
    }
    // A jar that grew a connector we do not know would listen everywhere again: refuse.
    if (bound == 0 || bound != jetty.getConnectors().length) {
      fail("DynamoDB Local's Jetty server has connectors this launcher cannot bind to a host; "
          + "update packages/local/java/LoopbackDynamoDbLocal.java for this DynamoDB Local version");
    }
    try {
      proxy.safeStart();
    } catch (Exception error) {
      // The same wording as the jar's own main, which local-server.ts recognizes ("Address already in use").
      StringBuilder causes = new StringBuilder(String.valueOf(error));
      for (Throwable cause = error.getCause(); cause != null; cause = cause.getCause()) causes.append(" <- ").append(cause);
      System.err.printf("Could not start server on %s: %s%n", host, causes);
      proxy.stop();
      System.exit(1);
    }
    System.out.println("DynamoDB Local listening on " + host);
    proxy.join();
  }

  /** The jar keeps its Jetty server in a private field; reading it is the only way to reach the connector. */
  private static Server jettyServerOf(DynamoDBProxyServer proxy) throws IllegalAccessException {
    for (Field field : DynamoDBProxyServer.class.getDeclaredFields()) {
      if (Server.class.isAssignableFrom(field.getType())) {
        field.setAccessible(true);
        return (Server) field.get(proxy);
      }
    }
    fail("DynamoDBProxyServer has no Jetty Server field in this DynamoDB Local version; "
        + "update packages/local/java/LoopbackDynamoDbLocal.java");
    return null;
  }

  private static void fail(String message) {
    System.err.println("LoopbackDynamoDbLocal: " + message);
    System.exit(2);
  }
}
