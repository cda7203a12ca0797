/*
 * The driver matrix's scenarios with the PostgreSQL JDBC driver (pgjdbc), in one JVM.
 * Usage: java -cp postgresql.jar JdbcMatrix.java '<targets JSON array>' <scenarios.json>
 * Prints one JSON object: target label -> scenario id -> result, or {"na": why}; and `timings`. Values are shown as the driver
 * returns them (Java class name and text); nothing that differs between two sessions is printed.
 */
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.*;
import java.util.*;
import java.util.concurrent.Executors;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

public class JdbcMatrix {
  static Map<String, Object> T;
  static Map<String, Object> S;
  static final String APP = "matrix-jdbc";

  interface Scenario { Object run() throws Exception; }

  public static void main(String[] args) throws Exception {
    S = Json.object(Files.readString(Path.of(args[1])));
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> timings = new LinkedHashMap<>();
    out.put("timings", timings);
    for (Object target : (List<?>) Json.object("{\"t\":" + args[0] + "}").get("t")) {
      @SuppressWarnings("unchecked")
      Map<String, Object> t = (Map<String, Object>) target;
      T = t;
      Map<String, Object> results = new LinkedHashMap<>();
      for (Object[] s : scenarios()) {
        long started = System.nanoTime();
        try {
          results.put((String) s[0], ((Scenario) s[1]).run());
        } catch (Exception e) {
          results.put((String) s[0], Map.of("crash", String.valueOf(e)));
        }
        timings.put(T.get("label") + ":" + s[0], (System.nanoTime() - started) / 1_000_000);
      }
      out.put((String) T.get("label"), results);
    }
    System.out.println(Json.write(out));
  }

  static Object[][] scenarios() {
    return new Object[][] {
      {"types-text", (Scenario) () -> types(false)},
      {"types-binary", (Scenario) () -> types(true)},
      {"prepared-reuse", (Scenario) JdbcMatrix::prepared},
      {"pipeline", (Scenario) JdbcMatrix::pipeline},
      {"portal-row-limit", (Scenario) JdbcMatrix::portal},
      {"cursor", (Scenario) JdbcMatrix::cursor},
      {"copy", (Scenario) JdbcMatrix::copy},
      {"listen-notify", (Scenario) JdbcMatrix::listenNotify},
      {"cancel", (Scenario) JdbcMatrix::cancel},
      {"statement-timeout", (Scenario) JdbcMatrix::statementTimeout},
      {"startup-settings", (Scenario) JdbcMatrix::startupSettings},
      {"multi-statement", (Scenario) JdbcMatrix::multi},
      {"errors", (Scenario) JdbcMatrix::errors},
      {"notices", (Scenario) JdbcMatrix::notices},
      {"transaction-rollback", (Scenario) JdbcMatrix::transaction},
      {"large-result", (Scenario) JdbcMatrix::large},
      {"disconnect-mid-result", (Scenario) JdbcMatrix::disconnect},
      {"application-name", (Scenario) JdbcMatrix::applicationName},
      {"user-names", (Scenario) JdbcMatrix::userNames},
      {"scratch-unrestricted", (Scenario) JdbcMatrix::unrestricted},
      {"phi-masking", (Scenario) JdbcMatrix::phiMasking},
      {"phi-policy-refusal", (Scenario) JdbcMatrix::phiRefusal},
    };
  }

  static String tagged(String sql) { return sql.replace("{tag}", (String) T.get("tag")); }
  static String str(Object path) { return (String) path; }
  @SuppressWarnings("unchecked")
  static <V> V at(String... keys) {
    Object v = S;
    for (String k : keys) v = ((Map<String, Object>) v).get(k);
    return (V) v;
  }

  static Connection connect(Properties extra) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", str(T.get("user")));
    p.setProperty("password", str(T.get("password")));
    p.setProperty("sslmode", Boolean.TRUE.equals(T.get("ssl")) ? "require" : "disable");
    p.setProperty("ApplicationName", APP);
    String db = str(T.get("database"));
    for (String k : extra.stringPropertyNames()) {
      if (k.equals("database")) db = extra.getProperty(k);
      else p.setProperty(k, extra.getProperty(k));
    }
    return DriverManager.getConnection("jdbc:postgresql://" + T.get("host") + ":" + num(T.get("port")) + "/" + db, p);
  }
  static Connection connect() throws SQLException { return connect(new Properties()); }
  static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) p.setProperty(kv[i], kv[i + 1]);
    return p;
  }
  static long num(Object o) { return ((Number) o).longValue(); }

  /** A JDBC value as JSON text: its class and its text. */
  static Object plain(Object v) throws SQLException {
    if (v == null) return null;
    if (v instanceof Array a) return plain(a.getArray());
    if (v instanceof Object[] arr) {
      List<Object> l = new ArrayList<>();
      for (Object x : arr) l.add(plain(x));
      return l;
    }
    if (v instanceof byte[] b) return "bytes:" + HexFormat.of().formatHex(b);
    if (v instanceof Timestamp ts) return "Timestamp:" + ts.toInstant();
    if (v instanceof String || v instanceof Integer || v instanceof Boolean) return v;
    return v.getClass().getSimpleName() + ":" + v;
  }

  static Map<String, Object> error(SQLException e) {
    Map<String, Object> out = new LinkedHashMap<>();
    ServerErrorMessage m = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
    if (m == null) {
      out.put("code", e.getSQLState());
      out.put("message", e.getMessage());
      return out;
    }
    out.put("code", m.getSQLState());
    out.put("message", m.getMessage());
    if (m.getDetail() != null) out.put("detail", m.getDetail());
    if (m.getHint() != null) out.put("hint", m.getHint());
    if (m.getPosition() != 0) out.put("position", m.getPosition());
    if (m.getConstraint() != null) out.put("constraint", m.getConstraint());
    return out;
  }

  /** Runs one statement: its rows (or update count), or the error. */
  static Object attempt(Connection c, String sql) {
    try (Statement s = c.createStatement()) {
      return result(s, s.execute(sql));
    } catch (SQLException e) {
      return Map.of("error", error(e));
    }
  }
  static Object result(Statement s, boolean hasRows) throws SQLException {
    if (!hasRows) return Map.of("updateCount", s.getUpdateCount());
    return Map.of("rows", rows(s.getResultSet()));
  }
  static List<Object> rows(ResultSet rs) throws SQLException {
    List<Object> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      List<Object> row = new ArrayList<>();
      for (int i = 1; i <= n; i++) row.add(plain(rs.getObject(i)));
      out.add(row);
    }
    return out;
  }

  static Object types(boolean binary) throws Exception {
    // prepareThreshold=-1: a named server statement from the first execution, so pgjdbc asks for
    // binary results for the types it can read in binary; binaryTransfer=false keeps it all text.
    Properties p = binary ? props("prepareThreshold", "-1") : props("binaryTransfer", "false");
    try (Connection c = connect(p)) {
      List<List<Object>> cols = at("types", "columns");
      StringBuilder sql = new StringBuilder("SELECT ");
      StringBuilder back = new StringBuilder("SELECT ");
      for (int i = 0; i < cols.size(); i++) {
        List<Object> col = cols.get(i);
        String name = (String) col.get(0), type = (String) col.get(1), value = (String) col.get(2);
        if (i > 0) { sql.append(", "); back.append(", "); }
        sql.append(value == null ? "NULL" : "'" + value.replace("'", "''") + "'").append("::").append(type).append(" AS ").append(name);
        back.append("?::").append(type).append(" AS ").append(name);
      }
      List<Object> row = new ArrayList<>(), types = new ArrayList<>(), trip;
      List<Object> values = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(sql.toString()); ResultSet rs = ps.executeQuery()) {
        rs.next();
        for (int i = 1; i <= cols.size(); i++) {
          values.add(rs.getObject(i));
          row.add(plain(rs.getObject(i)));
          types.add(rs.getMetaData().getColumnTypeName(i));
        }
      }
      try (PreparedStatement ps = c.prepareStatement(back.toString())) {
        for (int i = 0; i < values.size(); i++) ps.setObject(i + 1, values.get(i));
        try (ResultSet rs = ps.executeQuery()) { trip = rows(rs); }
      }
      return Map.of("row", row, "types", types, "roundTrip", trip);
    }
  }

  static Object prepared() throws Exception {
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(str(at("prepared", "sql")).replace("$1", "?"))) {
      List<Object> out = new ArrayList<>();
      // Past prepareThreshold (5) pgjdbc switches to a named server-side statement and reuses it.
      for (int i = 0; i < num(at("prepared", "executions")); i++) {
        ps.setInt(1, i);
        ps.setInt(2, i);
        try (ResultSet rs = ps.executeQuery()) { out.add(rows(rs).get(0)); }
      }
      return Map.of("results", out);
    }
  }

  static Object pipeline() throws Exception {
    try (Connection c = connect()) {
      List<Object> out = new ArrayList<>();
      attempt(c, "CREATE TEMP TABLE pipe (x int CHECK (x <> 2))");
      // A batch goes out as one pipeline: every Bind/Execute, then a single Sync.
      for (int[] values : new int[][] {{1, 3, 4, 5}, {1, 2, 3}}) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO pipe VALUES (?)")) {
          for (int v : values) { ps.setInt(1, v); ps.addBatch(); }
          out.add(Map.of("counts", Arrays.stream(ps.executeBatch()).boxed().toList()));
        } catch (BatchUpdateException e) {
          SQLException cause = e.getNextException() != null ? e.getNextException() : e;
          out.add(Map.of("error", error(cause)));
        }
      }
      out.add(attempt(c, "SELECT count(*) FROM pipe"));
      return out;
    }
  }

  static Object portal() throws Exception {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      List<Object> values = new ArrayList<>();
      try (Statement s = c.createStatement()) {
        // In a transaction, a fetch size makes pgjdbc Execute a named portal 7 rows at a time.
        s.setFetchSize((int) num(at("rows", "fetch")));
        try (ResultSet rs = s.executeQuery(at("rows", "sql"))) { while (rs.next()) values.add(rs.getInt(1)); }
      }
      c.commit();
      return Map.of("rows", values);
    }
  }

  static Object cursor() throws Exception {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      attempt(c, "DECLARE matrix_cursor CURSOR FOR " + at("rows", "sql"));
      List<Object> batches = new ArrayList<>();
      for (;;) {
        @SuppressWarnings("unchecked")
        List<Object> rows = (List<Object>) ((Map<String, Object>) attempt(c, "FETCH " + num(at("rows", "fetch")) + " FROM matrix_cursor")).get("rows");
        if (rows.isEmpty()) break;
        batches.add(rows);
      }
      c.commit();
      return Map.of("batches", batches);
    }
  }

  static Object copy() throws Exception {
    try (Connection c = connect()) {
      attempt(c, at("copy", "table"));
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      long in = copy.copyIn(at("copy", "in"), new StringReader(at("copy", "data")));
      StringWriter out = new StringWriter();
      copy.copyOut(at("copy", "out"), out);
      return Map.of("inserted", in, "out", out.toString());
    }
  }

  static Object listenNotify() throws Exception {
    try (Connection c = connect()) {
      String channel = tagged(at("notify", "channel"));
      attempt(c, "LISTEN " + channel);
      try (Connection other = connect(); PreparedStatement ps = other.prepareStatement("SELECT pg_notify(?, ?)")) {
        ps.setString(1, channel);
        ps.setString(2, at("notify", "payload"));
        ps.execute();
      }
      attempt(c, "NOTIFY " + channel + ", 'from myself'");
      List<PGNotification> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 5000;
      while (got.size() < 2 && System.currentTimeMillis() < deadline) {
        PGNotification[] n = c.unwrap(PGConnection.class).getNotifications(200);
        if (n != null) got.addAll(Arrays.asList(n));
      }
      int own;
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) { rs.next(); own = rs.getInt(1); }
      List<Object> list = new ArrayList<>();
      for (PGNotification n : got) {
        list.add(Map.of("channel", n.getName().equals(channel), "payload", n.getParameter(), "fromMyself", n.getPID() == own));
      }
      return Map.of("notifications", list, "backendKeyPidIsBackendPid", c.unwrap(PGConnection.class).getBackendPID() == own);
    }
  }

  static Object cancel() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      Thread t = new Thread(() -> {
        try { Thread.sleep(300); s.cancel(); } catch (Exception ignored) { }
      });
      t.start();
      Object sleep = attempt2(s, at("sleep"));
      t.join();
      return Map.of("sleep", sleep, "after", attempt(c, "SELECT 1"));
    }
  }
  static Object attempt2(Statement s, String sql) {
    try { return result(s, s.execute(sql)); } catch (SQLException e) { return Map.of("error", error(e)); }
  }

  static Object statementTimeout() throws Exception {
    try (Connection c = connect(props("options", "-c statement_timeout=" + num(at("statementTimeoutMs"))))) {
      return Map.of("shown", attempt(c, "SHOW statement_timeout"), "sleep", attempt(c, at("timeoutSleep")));
    }
  }

  static Object startupSettings() throws Exception {
    try (Connection c = connect(props("options", at("settings", "options")))) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Object name : (List<?>) at("settings", "show")) out.put((String) name, attempt(c, "SHOW " + name));
      out.put("probe", attempt(c, at("settings", "probe")));
      return out;
    }
  }

  static Object multi() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      List<Object> out = new ArrayList<>();
      boolean rows = s.execute(at("multi"));
      for (;;) {
        if (!rows && s.getUpdateCount() == -1) break;
        out.add(result(s, rows));
        rows = s.getMoreResults();
      }
      return out;
    }
  }

  static Object errors() throws Exception {
    try (Connection c = connect()) {
      attempt(c, at("errorsSetup"));
      List<Object> out = new ArrayList<>();
      for (Object sql : (List<?>) at("errors")) out.add(attempt(c, (String) sql));
      return out;
    }
  }

  static Object notices() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute(at("notices"));
      List<Object> out = new ArrayList<>();
      for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning()) {
        ServerErrorMessage m = ((org.postgresql.util.PSQLWarning) w).getServerErrorMessage();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("severity", m.getSeverity());
        n.put("code", m.getSQLState());
        n.put("message", m.getMessage());
        if (m.getDetail() != null) n.put("detail", m.getDetail());
        if (m.getHint() != null) n.put("hint", m.getHint());
        out.add(n);
      }
      return Map.of("notices", out);
    }
  }

  static Object transaction() throws Exception {
    try (Connection c = connect()) {
      attempt(c, at("transaction", "setup"));
      c.setAutoCommit(false);
      List<Object> out = new ArrayList<>();
      for (String k : new String[] {"insert", "fail", "after"}) out.add(attempt(c, at("transaction", k)));
      c.rollback();
      c.setAutoCommit(true);
      out.add(attempt(c, at("transaction", "count")));
      return out;
    }
  }

  static Object large() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(at("large", "sql"))) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      int n = 0;
      while (rs.next()) {
        d.update((rs.getInt(1) + "," + rs.getString(2) + "\n").getBytes());
        n++;
      }
      return Map.of("rows", n, "sha256", HexFormat.of().formatHex(d.digest()));
    }
  }

  static Object disconnect() throws Exception {
    Connection c = connect();
    var pool = Executors.newSingleThreadExecutor();
    Thread cut = new Thread(() -> {
      // Mid-result: the socket is closed under the reading thread, as a crashing client's would be.
      try { Thread.sleep(500); c.abort(pool); } catch (Exception ignored) { }
    });
    cut.start();
    boolean failed = false;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(tagged(at("disconnect", "sql")))) {
      while (rs.next()) { }
    } catch (SQLException e) {
      failed = true;
    }
    cut.join();
    pool.shutdown();
    boolean gone = false;
    try (Connection p = connect()) {
      long deadline = System.currentTimeMillis() + 10000;
      while (System.currentTimeMillis() < deadline) {
        try (Statement s = p.createStatement(); ResultSet rs = s.executeQuery(tagged(at("disconnect", "probe")))) {
          rs.next();
          if (rs.getInt(1) == 0) { gone = true; break; }
        }
        Thread.sleep(100);
      }
    }
    return Map.of("clientSawFailure", failed, "serverBackendGone", gone);
  }

  static Object applicationName() throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(at("applicationName"))) {
      rs.next();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("applicationName", rs.getString(1));
      out.put("reported", c.getClientInfo("ApplicationName"));
      return out;
    }
  }

  static Object currentUser(Properties p) {
    try (Connection c = connect(p); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(at("currentUser"))) {
      rs.next();
      return Map.of("currentUser", rs.getString(1));
    } catch (SQLException e) {
      return Map.of("error", error(e));
    }
  }

  @SuppressWarnings("unchecked")
  static Object userNames() {
    Map<String, Object> role = (Map<String, Object>) T.get("role");
    String phi = str(T.get("phiDatabase")), unknown = str(T.get("unknownUser"));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("scratchUnknown", currentUser(props("user", unknown)));
    out.put("phiUnknown", currentUser(props("database", phi, "user", unknown)));
    out.put("phiRole", currentUser(props("database", phi, "user", str(role.get("user")), "password", str(role.get("password")))));
    return out;
  }

  static Object unrestricted() throws Exception {
    try (Connection c = connect()) {
      List<Object> out = new ArrayList<>();
      for (Object sql : (List<?>) at("unrestricted")) out.add(attempt(c, tagged((String) sql)));
      return out;
    }
  }

  static Object phiMasking() throws Exception {
    try (Connection c = connect(props("database", str(T.get("phiDatabase")), "prepareThreshold", "-1"));
        PreparedStatement ps = c.prepareStatement(at("phi", "select"));
        ResultSet rs = ps.executeQuery()) {
      List<Object> types = new ArrayList<>();
      // getColumnType reads the RowDescription; getColumnTypeName would run pgjdbc's own catalog
      // query (for serial columns), whose pg_class columns an agent gets masked (see the report).
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) types.add(rs.getMetaData().getColumnType(i));
      return Map.of("types", types, "rows", rows(rs));
    }
  }

  static Object phiRefusal() throws Exception {
    try (Connection c = connect(props("database", str(T.get("phiDatabase"))))) {
      c.setAutoCommit(false);
      List<Object> out = new ArrayList<>();
      for (Object sql : (List<?>) at("phi", "transaction")) out.add(attempt(c, (String) sql));
      c.rollback();
      c.setAutoCommit(true);
      out.add(attempt(c, at("phi", "count")));
      return out;
    }
  }

  /** Just enough JSON for a target, the scenario file and the results (no library on the JRE). */
  static final class Json {
    private final String s;
    private int i;
    private Json(String s) { this.s = s; }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) { return (Map<String, Object>) new Json(text).value(); }

    private Object value() {
      skip();
      char ch = s.charAt(i);
      if (ch == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        skip();
        if (s.charAt(i) == '}') { i++; return m; }
        for (;;) {
          skip();
          String k = string();
          skip();
          i++; // ':'
          m.put(k, value());
          skip();
          if (s.charAt(i++) == '}') return m;
        }
      }
      if (ch == '[') {
        List<Object> l = new ArrayList<>();
        i++;
        skip();
        if (s.charAt(i) == ']') { i++; return l; }
        for (;;) {
          l.add(value());
          skip();
          if (s.charAt(i++) == ']') return l;
        }
      }
      if (ch == '"') return string();
      int start = i;
      while (i < s.length() && "{}[],: \n\r\t".indexOf(s.charAt(i)) < 0) i++;
      String word = s.substring(start, i);
      return switch (word) {
        case "true" -> true;
        case "false" -> false;
        case "null" -> null;
        default -> word.contains(".") ? (Object) Double.parseDouble(word) : (Object) Long.parseLong(word);
      };
    }

    private String string() {
      StringBuilder b = new StringBuilder();
      i++;
      for (char ch = s.charAt(i++); ch != '"'; ch = s.charAt(i++)) {
        if (ch != '\\') { b.append(ch); continue; }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'r' -> b.append('\r');
          case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
          default -> b.append(e);
        }
      }
      return b.toString();
    }

    private void skip() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

    static String write(Object v) {
      if (v == null) return "null";
      if (v instanceof String str) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : str.toCharArray()) {
          if (ch == '"' || ch == '\\') b.append('\\').append(ch);
          else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
          else b.append(ch);
        }
        return b.append('"').toString();
      }
      if (v instanceof Map<?, ?> m) {
        StringJoiner j = new StringJoiner(",", "{", "}");
        m.forEach((k, x) -> j.add(write(String.valueOf(k)) + ":" + write(x)));
        return j.toString();
      }
      if (v instanceof Collection<?> c) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        c.forEach(x -> j.add(write(x)));
        return j.toString();
      }
      return String.valueOf(v);
    }
  }
}
