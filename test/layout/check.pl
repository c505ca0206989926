#!/usr/bin/perl
# The layout rules of the tree, checked on the code itself (docs/DECISIONS.md,
# "Layout"):
#
#   - no C file over 1,100 lines, in src/ or gateway/src/;
#   - no circle of C files that use each other's functions or variables
#     (a uses b, b uses c, c uses a), in src/ or in gateway/src/: read from
#     the symbols each object file defines and needs (nm);
#   - the SQL-callable C functions (PG_FUNCTION_INFO_V1) in src/api.c only;
#   - the insurance types spelled out in one SQL place and one C place;
#   - no route path in the gateway's HTTP layer (http.c): the route table
#     (routes.c) is the whole API.
#
# Usage: check.pl ROOT OBJDIR_GATEWAY. The extension's objects are
# ROOT/src/*.o (built by make); the gateway's are compiled one by one into
# OBJDIR_GATEWAY by the caller (test/layout/run.sh).
# Prints ok / not ok lines and closes with "N passed, N failed".
use strict;
use warnings;

my ($root, $gwobj) = @ARGV;
die "usage: $0 ROOT GATEWAY_OBJDIR\n" unless defined $gwobj;
my ($pass, $fail) = (0, 0);

sub check {
    my ($ok, $name, @detail) = @_;
    if ($ok) { $pass++; print "ok - $name\n"; }
    else { $fail++; print "not ok - $name\n"; print "#   $_\n" for @detail; }
}

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or die "$f: $!"; local $/; return <$fh>; }

# 1. File sizes
for my $dir ("$root/src", "$root/gateway/src") {
    for my $f (sort glob("$dir/*.c")) {
        my $n = () = slurp($f) =~ /\n/g;
        my $rel = $f =~ s{^\Q$root\E/}{}r;
        check($n <= 1100, "$rel has at most 1,100 lines", "$n lines");
    }
}

# 2. Circles between object files
sub circles {
    my (@objs) = @_;
    my (%defs, %uses, %owner, %edge);
    for my $o (@objs) {
        my $name = ($o =~ m{([^/]+)\.o$})[0];
        for (`nm '$o'`) {
            if (/^\S+\s+[TDBRGS]\s+(\S+)$/) { $defs{$name}{$1} = 1; $owner{$1} //= $name; }
            elsif (/^\s+U\s+(\S+)$/) { $uses{$name}{$1} = 1; }
        }
        $uses{$name} //= {};
    }
    for my $a (keys %uses) {
        for my $s (keys %{ $uses{$a} }) {
            my $b = $owner{$s};
            push @{ $edge{$a}{$b} }, $s if defined $b && $b ne $a;
        }
    }
    # Tarjan's strongly connected components
    my ($index, %idx, %low, @stack, %on, @sccs) = (0);
    my $visit;
    $visit = sub {
        my ($v) = @_;
        $idx{$v} = $low{$v} = $index++;
        push @stack, $v; $on{$v} = 1;
        for my $w (sort keys %{ $edge{$v} || {} }) {
            if (!exists $idx{$w}) { $visit->($w); $low{$v} = $low{$w} if $low{$w} < $low{$v}; }
            elsif ($on{$w}) { $low{$v} = $idx{$w} if $idx{$w} < $low{$v}; }
        }
        if ($low{$v} == $idx{$v}) {
            my @c;
            while (1) { my $w = pop @stack; delete $on{$w}; push @c, $w; last if $w eq $v; }
            push @sccs, [sort @c] if @c > 1;
        }
    };
    $visit->($_) for grep { !exists $idx{$_} } sort keys %uses;
    my @detail;
    for my $c (@sccs) {
        my %in = map { $_ => 1 } @$c;
        push @detail, "circle: @$c";
        for my $a (@$c) {
            for my $b (sort grep { $in{$_} } keys %{ $edge{$a} || {} }) {
                push @detail, "  $a -> $b (" . join(', ', (sort @{ $edge{$a}{$b} })[0 .. 0]) . ")";
            }
        }
    }
    return (scalar(@objs), @detail);
}

my @srcobj = sort glob("$root/src/*.o");
my ($n, @d) = circles(@srcobj);
check($n > 0 && !@d, "no circle of C files in src/ ($n objects)", $n ? @d : "no object files: run make first");
my @gwobjs = sort grep { !/fuzz_request\.o$/ } glob("$gwobj/*.o");
($n, @d) = circles(@gwobjs);
check($n > 0 && !@d, "no circle of C files in gateway/src/ ($n objects)", $n ? @d : "no object files");

# 3. SQL-callable wrappers
my @wrappers;
for my $f (sort glob("$root/src/*.c")) {
    next if $f =~ m{/api\.c$};
    push @wrappers, ($f =~ s{^\Q$root\E/}{}r) . ": $1" while slurp($f) =~ /PG_FUNCTION_INFO_V1\((\w+)\)/g;
}
check(!@wrappers, "SQL-callable C functions in src/api.c only", @wrappers);

# 4. The insurance types: one SQL place, one C place
my @types = qw(auto home renters life health commercial);
my (@sql_places, @c_places);
for my $f (sort(glob("$root/src/sql/*.sql"))) {
    my $t = slurp($f);
    push @sql_places, $f =~ s{^\Q$root\E/}{}r if 6 == grep { $t =~ /'\Q$_\E'/ } @types;
}
for my $f (sort(glob("$root/src/*.[ch]"), glob("$root/gateway/src/*.[ch]"))) {
    my $t = slurp($f);
    push @c_places, $f =~ s{^\Q$root\E/}{}r if 6 == grep { $t =~ /"\Q$_\E"/ } @types;
}
check(@sql_places == 1, "the insurance types are spelled out in one SQL file", "found in: @sql_places");
check(@c_places == 1, "the insurance types are spelled out in one C file", "found in: @c_places");

# 5. No route path in the HTTP layer
my @paths = slurp("$root/gateway/src/http.c") =~ /("\/api\/[^"]*")/g;
check(!@paths, "no route path in gateway/src/http.c", @paths);

print "$pass passed, $fail failed\n";
exit($fail ? 1 : 0);
