from csmscheck.cli import main

raise SystemExit(main())
