// Package datagen writes the demo project's sample data: an online tea shop's
// customer exports, daily order exports and web analytics events. The output is
// deterministic, byte for byte: a fixed seed (math/rand/v2 PCG 1, 2), fixed dates,
// no map iteration in the output path, and gzip members without a name or a
// modification time. `go run ./examples/demo/gen` rewrites examples/demo/data.
//
// Rows that are bad on purpose (each pipeline's run still succeeds: the orders'
// reject ratio is 0.3%, under its 5% limit). Keep examples/demo/README.md, which
// lists them with the counts a run reports, in step with this list.
//
// incoming/customers/customers_2026-01.csv (Jan export: customers 1001-1200)
//   - customer 1017: email "marta.rossi@example" has no top-level domain → rejected
//     by validate (regex);
//   - a row without a Customer ID (the CRM lost it) → rejected by validate (not_null);
//   - customer 1042 appears twice, the second line correcting the email → dedupe
//     keeps the last one.
//
// incoming/customers/customers_2026-02.csv (Feb export: 20 changed January
// customers, 1181-1200, then the new customers 1201-1380)
//   - customer 1250 signed up on "31/02/2026", a day that does not exist →
//     rejected by cast (date);
//   - customer 1266: email "noah smith@example.com" contains a space → rejected by
//     validate (regex);
//   - customer 1300: the Signed Up field is missing (4 fields, not 5) → rejected
//     by the CSV reader (ragged row).
//
// later/customers_2026-03.csv is not read by any pipeline: the README asks users
// to copy it into incoming/customers/ and run again, to see a merge update rows.
//
// incoming/orders/orders_2026-02-0{1,2,3}.csv.gz (2,000 orders a day), in each file:
//   - Total "12,50" (a decimal comma, quoted) → rejected by cast (decimal);
//   - Total "n/a" → rejected by cast (decimal);
//   - Ordered At as "01/02/2026 09:24" (another format) → rejected by cast (timestamp);
//   - a row missing its last field (Coupon) → rejected by the CSV reader (ragged);
//   - Total "-19.90" (a refund typed in as an order) → rejected by validate (min 0);
//   - Status "refunded" → rejected by validate (one_of);
//   - three QA orders with status "test", "TEST" and " Test " → filtered (after
//     derive has lower-cased and trimmed the status);
//   - nine orders that appear again later in the file with a newer status →
//     dedupe keeps the last line;
//   - from the second day on, five orders shipped the previous day appear again
//     as delivered → dedupe across files keeps the latest;
//   - not an error: guest orders (about 3%) have no Customer ID, loaded as NULL.
//
// incoming/events/2026-02-0{1,2}/events.jsonl.gz (1,000 events a day, gzip
// as event collectors deliver them; plain JSON Lines would not fit the size budget):
//   - 2026-02-01: one line cut in half (a truncated request body) → rejected by
//     the JSON reader;
//   - 2026-02-02: one event with "ts": "Invalid Date" (a JavaScript client bug) →
//     rejected by cast (timestamptz);
//   - 2026-02-02: every event has a new "variant" key (an A/B test started that
//     day) → a new nullable column.
package datagen

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Write writes the demo data below dir (examples/demo/data in the repository),
// creating folders as needed and overwriting the files it owns.
func Write(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Files returns the demo data: slash-separated paths relative to the data folder
// (such as "incoming/orders/orders_2026-02-01.csv.gz") and their contents.
func Files() (map[string][]byte, error) {
	g := &generator{rng: rand.New(rand.NewPCG(1, 2)), files: map[string][]byte{}}
	g.customers()
	g.orders()
	g.events()
	if g.err != nil {
		return nil, g.err
	}
	return g.files, nil
}

type generator struct {
	rng   *rand.Rand
	files map[string][]byte
	err   error
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// chance reports true with probability p.
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) gzip(name string, data []byte) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		g.err = err
		return
	}
	// The zero Header: no name, no comment, no modification time.
	if _, err := zw.Write(data); err != nil {
		g.err = err
		return
	}
	if err := zw.Close(); err != nil {
		g.err = err
		return
	}
	g.files[name] = b.Bytes()
}

// ---------------------------------------------------------------- customers

var (
	firstNames = []string{
		"José", "Anna", "Lukas", "Chloé", "Mateo", "Sofia", "Jan", "Zoë", "Björn", "Aisha",
		"Léa", "Noah", "Inês", "Oliver", "Maja", "François", "Marta", "Søren", "Agnieszka",
		"Hélène", "Jürgen", "Lucía", "Emma", "Paweł", "Ana", "Tomás", "Elif", "Giulia",
	}
	lastNames = []string{
		"Müller", "García", "Rossi", "Dubois", "Nowak", "Silva", "Jansen", "Łukasiewicz",
		"Østergaard", "O'Brien", "Smith", "Costa", "Fernández", "Schröder", "Moreau",
		"Kowalski", "De Vries", "Bianchi", "Lindqvist", "Yılmaz", "Peña", "Dupont-Aignan",
	}
	// Country codes as a CRM exports them: mixed case, stray spaces.
	countries = []string{
		"FR", "fr", " FR", "DE", "de ", "De", "ES", "es", "IT", " it", "NL", "nl ",
		"PT", "pt", "PL", " pl", "SE", "BE", "AT", "at ", "IE", "DK",
	}
	mailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com"}
)

// ascii folds a name into the characters a mail address can use.
var ascii = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "å", "a", "ã", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ı", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o", "Ø", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ñ", "n", "ç", "c", "ł", "l", "Ł", "l", "ś", "s", "ß", "ss", "ż", "z", "ź", "z", "ń", "n",
	"'", "", " ", "",
)

type customer struct {
	id      int
	name    string
	email   string
	country string
	signed  time.Time
}

func (g *generator) newCustomer(id int, from, to time.Time) customer {
	first, last := g.pick(firstNames), g.pick(lastNames)
	email := strings.ToLower(ascii.Replace(first) + "." + ascii.Replace(last))
	if g.chance(0.3) {
		email += fmt.Sprint(g.rng.IntN(90) + 10)
	}
	days := int(to.Sub(from).Hours()/24) + 1
	return customer{
		id:      id,
		name:    first + " " + last,
		email:   email + "@" + g.pick(mailDomains),
		country: g.pick(countries),
		signed:  from.AddDate(0, 0, g.rng.IntN(days)),
	}
}

// csvField quotes a field when CSV needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func customerLine(c customer) string {
	id := ""
	if c.id != 0 {
		id = fmt.Sprint(c.id)
	}
	return strings.Join([]string{id, csvField(c.name), c.email, c.country, c.signed.Format("02/01/2006")}, ",") + "\n"
}

const customersHeader = "Customer ID,Full Name,Email,Country,Signed Up\n"

func (g *generator) customers() {
	jan := []customer{}
	for id := 1001; id <= 1200; id++ {
		jan = append(jan, g.newCustomer(id, date(2024, 3, 1), date(2026, 1, 31)))
	}

	var b strings.Builder
	b.WriteString(customersHeader)
	for _, c := range jan {
		switch c.id {
		case 1017:
			c.name, c.email = "Marta Rossi", "marta.rossi@example" // no top-level domain: validate (regex)
		case 1080:
			// A customer the CRM exported without its id: validate (not_null).
			b.WriteString(customerLine(customer{name: "Léa Moreau", email: "lea.moreau@example.net", country: "fr", signed: date(2025, 11, 3)}))
		}
		b.WriteString(customerLine(c))
		if c.id == 1042 { // exported twice, the second line corrects the email: dedupe keeps it
			c.email = strings.Replace(c.email, "@", ".work@", 1)
			b.WriteString(customerLine(c))
		}
	}
	g.files["incoming/customers/customers_2026-01.csv"] = []byte(b.String())

	b.Reset()
	b.WriteString(customersHeader)
	// Customers 1181-1200 changed since January: a new address (even ids) or a
	// move to another country (odd ids). Dedupe keeps these lines.
	for _, c := range jan[180:] {
		if c.id%2 == 0 {
			user, domain, _ := strings.Cut(c.email, "@")
			others := slices.DeleteFunc(slices.Clone(mailDomains), func(d string) bool { return d == domain })
			c.email = user + "@" + g.pick(others)
		} else {
			c.country = g.pick([]string{"ie", " DK", "Be "})
		}
		b.WriteString(customerLine(c))
	}
	for id := 1201; id <= 1380; id++ {
		c := g.newCustomer(id, date(2026, 2, 1), date(2026, 2, 28))
		line := customerLine(c)
		switch id {
		case 1250: // 31 February does not exist: cast (date)
			line = strings.Replace(line, c.signed.Format("02/01/2006"), "31/02/2026", 1)
		case 1266: // a space in the address: validate (regex)
			c.name, c.email = "Noah Smith", "noah smith@example.com"
			line = customerLine(c)
		case 1300: // the last field is missing: the CSV reader rejects the ragged row
			line = line[:strings.LastIndexByte(line, ',')] + "\n"
		}
		b.WriteString(line)
	}
	g.files["incoming/customers/customers_2026-02.csv"] = []byte(b.String())

	// March: not in incoming/, for the README's "see a merge" step.
	b.Reset()
	b.WriteString(customersHeader)
	for _, i := range []int{0, 4, 9, 41, 99, 150} { // six January customers moved abroad
		c := jan[i]
		c.country = g.pick([]string{"IE", "DK", "BE"})
		b.WriteString(customerLine(c))
	}
	for id := 1381; id <= 1384; id++ {
		b.WriteString(customerLine(g.newCustomer(id, date(2026, 3, 1), date(2026, 3, 31))))
	}
	g.files["later/customers_2026-03.csv"] = []byte(b.String())
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// ---------------------------------------------------------------- orders

type order struct {
	id       int
	customer int // 0: a guest order
	at       time.Time
	status   string
	cents    int
	coupon   string
}

const (
	ordersPerDay = 2000
	firstOrderID = 500001
)

// Prices of the shop's products, in cents.
var prices = []int{790, 950, 1290, 1490, 1990, 2450, 2900, 3490, 4900, 5990, 8900}

func (g *generator) newOrder(at time.Time) order {
	o := order{at: at, status: "placed"}
	if !g.chance(0.03) {
		o.customer = 1001 + g.rng.IntN(380)
	}
	switch r := g.rng.IntN(100); {
	case r < 35:
		o.status = "placed"
	case r < 65:
		o.status = "shipped"
	case r < 90:
		o.status = "delivered"
	default:
		o.status = "cancelled"
	}
	for range 1 + g.rng.IntN(3) {
		o.cents += prices[g.rng.IntN(len(prices))] * (1 + g.rng.IntN(2))
	}
	switch r := g.rng.IntN(100); {
	case r < 6:
		o.coupon, o.cents = "WELCOME10", o.cents*90/100
	case r < 10:
		o.coupon, o.cents = "WINTER15", o.cents*85/100
	}
	if o.cents < 4000 {
		o.cents += 495 // shipping
	}
	return o
}

func money(cents int) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// orderFields are the columns of one export line, in header order.
func (g *generator) orderFields(o order) []string {
	cust := ""
	if o.customer != 0 {
		cust = fmt.Sprint(o.customer)
	}
	status := o.status
	if g.chance(0.04) { // typed by hand in the back office
		status = g.pick([]string{" ", ""}) + strings.ToUpper(status[:1]) + status[1:] + g.pick([]string{" ", ""})
	}
	return []string{fmt.Sprint(o.id), cust, o.at.Format("2006-01-02 15:04:05"), status, money(o.cents), o.coupon}
}

const ordersHeader = "Order ID,Customer ID,Ordered At,Status,Total,Coupon\n"

func (g *generator) orders() {
	id := firstOrderID
	var yesterday []order
	for day := 1; day <= 3; day++ {
		start := date(2026, 2, day)
		// Order times, sorted: order ids grow with time.
		secs := make([]int, ordersPerDay)
		for i := range secs {
			secs[i] = g.rng.IntN(86400)
		}
		slices.Sort(secs)
		// The export is in the order of the orders' last change.
		type line struct {
			at     time.Time // when the order last changed
			fields []string
		}
		var lines []line
		var today []order
		for i, s := range secs {
			o := g.newOrder(start.Add(time.Duration(s) * time.Second))
			o.id = id
			id++
			repeated := i%200 == 50 && i < 1800
			delivered := i%400 == 99 // delivered the next day
			switch {
			case repeated:
				o.status = "placed"
			case delivered:
				o.status = "shipped"
			}
			f := g.orderFields(o)
			switch i {
			case 150: // a decimal comma, quoted: cast (decimal)
				f[4] = `"12,50"`
			case 420: // cast (decimal)
				f[4] = "n/a"
			case 777: // another date format: cast (timestamp)
				f[2] = o.at.Format("02/01/2006 15:04")
			case 1111: // the last field is missing: the CSV reader rejects the ragged row
				f = f[:5]
			case 1313: // a refund typed in as an order: validate (min 0)
				f[4] = "-19.90"
			case 1500: // not a status the shop knows: validate (one_of)
				f[3] = "refunded"
			case 600, 1200, 1800: // QA orders: filtered
				f[1], f[3], f[4] = "1000", []string{"test", "TEST", " Test "}[i/600-1], "1.00"
			}
			lines = append(lines, line{o.at, f})
			if repeated {
				// The order ships (or is cancelled) a few hours later, and the export
				// repeats it then, with the same Ordered At: dedupe keeps the last line.
				changed := o.at.Add(time.Duration(1+g.rng.IntN(3)) * time.Hour)
				if changed.Before(start.AddDate(0, 0, 1)) {
					o.status = g.pick([]string{"shipped", "shipped", "cancelled"})
					lines = append(lines, line{changed, g.orderFields(o)})
				}
			}
			if delivered {
				today = append(today, o)
			}
		}
		// Orders shipped the previous day and delivered this morning: dedupe across
		// files keeps these lines.
		for j, o := range yesterday {
			o.status = "delivered"
			lines = append(lines, line{start.Add(time.Duration(8*3600+j*1800) * time.Second), g.orderFields(o)})
		}
		yesterday = today
		slices.SortStableFunc(lines, func(a, b line) int { return a.at.Compare(b.at) })
		var b strings.Builder
		b.WriteString(ordersHeader)
		for _, l := range lines {
			b.WriteString(strings.Join(l.fields, ",") + "\n")
		}
		g.gzip(fmt.Sprintf("incoming/orders/orders_2026-02-%02d.csv.gz", day), []byte(b.String()))
	}
}

// ---------------------------------------------------------------- events

var (
	devices   = []string{"ios", "android", "desktop", "desktop"}
	pages     = []string{"/", "/shop", "/shop/tea", "/shop/teapots", "/shop/mugs", "/shop/gifts", "/blog", "/account"}
	campaigns = [][2]string{{"newsletter", "winter-sale"}, {"instagram", "new-teapots"}, {"google", "brand"}}
)

type event struct {
	at   time.Time
	line string
}

func (g *generator) events() {
	id := 0
	for day := 1; day <= 2; day++ {
		start := date(2026, 2, day)
		var evs []event
		for len(evs) < 1000 {
			// One visit: a few page views, maybe a cart and a purchase.
			at := start.Add(time.Duration(g.rng.IntN(86000)) * time.Second)
			ctx := fmt.Sprintf(`{"device":%q}`, g.pick(devices))
			if g.chance(0.25) {
				c := campaigns[g.rng.IntN(len(campaigns))]
				ctx = fmt.Sprintf(`{"device":%q,"utm":{"source":%q,"campaign":%q}}`, g.pick(devices), c[0], c[1])
			}
			cust := "null"
			if g.chance(0.6) {
				cust = fmt.Sprint(1001 + g.rng.IntN(380))
			}
			variant := ""
			if day == 2 { // the A/B test started on 2 February
				variant = fmt.Sprintf(`,"variant":%q`, g.pick([]string{"A", "B"}))
			}
			n := 1 + g.rng.IntN(5)
			for k := 0; k < n; k++ {
				typ, page, extra := "page_view", g.pick(pages), ""
				if k == n-1 && k > 0 && g.chance(0.3) {
					typ, page = "add_to_cart", "/cart"
					if g.chance(0.5) {
						typ, page = "purchase", "/checkout"
						extra = fmt.Sprintf(`,"revenue":%s`, money(prices[g.rng.IntN(len(prices))]))
					}
				}
				ts := at.Add(time.Duration(g.rng.IntN(1000)) * time.Millisecond)
				evs = append(evs, event{ts, fmt.Sprintf(`"ts":%q,"type":%q,"customer_id":%s,"page":%q,"context":%s%s%s`,
					ts.Format("2006-01-02T15:04:05.000Z07:00"), typ, cust, page, ctx, extra, variant)})
				at = at.Add(time.Duration(5+g.rng.IntN(120)) * time.Second)
			}
		}
		evs = evs[:1000] // the last visit is cut short: 1,000 events a day
		slices.SortStableFunc(evs, func(a, b event) int { return a.at.Compare(b.at) })
		var b strings.Builder
		for i, e := range evs {
			id++
			line := fmt.Sprintf(`{"event_id":%d,%s}`, id, e.line)
			switch {
			case day == 1 && i == 500: // a truncated request body: not JSON
				line = line[:len(line)/2]
			case day == 2 && i == 300: // a JavaScript client bug: cast (timestamptz)
				line = strings.Replace(line, e.at.Format("2006-01-02T15:04:05.000Z07:00"), "Invalid Date", 1)
			}
			b.WriteString(line + "\n")
		}
		g.gzip(fmt.Sprintf("incoming/events/2026-02-%02d/events.jsonl.gz", day), []byte(b.String()))
	}
}
